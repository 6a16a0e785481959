// Agent Container Mapping Function.
// 4.1.0: "Updated the 'Agent Container Mapping Function' and 'Agent Container Template' to map the
// container name instead of the container id to the identifier".
// The Agent identifies a container as urn:container:/<host>:<containerId>; this function adds
// urn:container:/<host>:<containerName>, which survives container re-creation (same name, new id).
// The Agent Container Template emits it in the component's identifiers.
// ILLUSTRATIVE: the real body is not public; the data keys follow the process-agent payload.
def data = element.data
def host = data.get("host") ?: data.get("hostname")
def name = data.get("name") ?: data.get("containerName")
if (name instanceof String && name.startsWith("/")) {
    name = name.substring(1) // docker reports names as "/name"
}

def identifiers = []
if (data.get("identifiers") instanceof List) {
    identifiers.addAll(data.get("identifiers"))
}
if (host && name) {
    def byName = "urn:container:/" + host + ":" + name
    if (!identifiers.contains(byName)) {
        identifiers.add(byName)
    }
}
data.put("identifiers", identifiers)
data.put("containerName", name ?: data.get("containerId") ?: element.externalId)
data.put("containerHost", host ?: "unknown")

return element
