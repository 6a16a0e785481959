// Agent Trace Service Mapping Function.
// 4.2.1: "Fix for trace service types causing spurious updates on StackState".
// Trace interpreters report a service type (`java`, `traefik`, `postgresql`, `process`, ...) that may
// differ in case or be missing from one span batch to the next; a changing value rewrote the
// component on every batch. Normalise it to one stable, lower-case value.
// ILLUSTRATIVE: the real body is not public.
def data = element.data
def serviceType = data.get("serviceType")
if (!(serviceType instanceof String) || serviceType.trim().isEmpty()) {
    serviceType = "service"
}
data.put("serviceType", serviceType.trim().toLowerCase())

// 3.5.0: service names containing ":" must be kept whole.
def name = data.get("name") ?: data.get("service") ?: element.externalId
data.put("name", name.toString())

return element
