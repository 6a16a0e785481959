// Agent Swarm Service Mapping Function.
// 4.3.0: "Report desired replicas and active replicas for swarm services".
// The cluster Agent sends the service spec: `Mode.Replicated.Replicas` for replicated services,
// `Mode.Global` for global ones (one task per node: no fixed replica count).
// ILLUSTRATIVE: the real body is not public.
def data = element.data
def spec = data.get("spec") ?: [:]
def mode = spec.get("Mode") ?: [:]
if (mode.get("Replicated") != null) {
    data.put("serviceMode", "replicated")
    data.put("desiredReplicas", mode.get("Replicated").get("Replicas") ?: 0)
} else if (mode.get("Global") != null) {
    data.put("serviceMode", "global")
} else {
    data.put("serviceMode", "unknown")
}
if (!data.get("name")) {
    data.put("name", element.externalId)
}

return element
