// Integration Health (3.11.0: monitoring of all StackState Agent Integrations).
// `events` is the "Service Checks" event stream of an Agent integration (instance). Agent service
// check statuses: 0 = OK, 1 = WARNING, 2 = CRITICAL, 3 = UNKNOWN.
// ILLUSTRATIVE: the real function body is not public, and the event accessor (`point.status`) is
// a guess at the event structure (guess: not in reference/).
if (events == null || events.isEmpty()) {
    return UNKNOWN
}
def status = events[-1].point.status
switch (status as Integer) {
    case 0: return CLEAR
    case 1: return DEVIATING
    case 2: return CRITICAL
    default: return UNKNOWN
}
