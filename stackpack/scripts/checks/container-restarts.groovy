// Container restarts (4.2.0: "Introduced the container health check for restart event").
// `restarts` is the container restart event stream mapped as a metric stream (EVENT_COUNT of the
// Agent's `docker.restart` service checks per bucket). The Agent changelog 2.10.0 says
// "DEVIATING health state for spurious restarts on a container".
// ILLUSTRATIVE: the real function body is not public.
if (restarts == null || restarts.isEmpty()) {
    return CLEAR // no restart events at all
}
def total = restarts.sum { it.point ?: 0 }
if (total > 0) {
    return DEVIATING
}
return CLEAR
