// Swarm service replicas (4.3.0: "Health check added for swarm service on active replicas").
// `activeReplicas` / `desiredReplicas` are the gauges swarm.service.running_replicas and
// swarm.service.desired_replicas reported by the cluster Agent.
// ILLUSTRATIVE: that the service is unhealthy when running < desired is inferred.
if (activeReplicas == null || activeReplicas.isEmpty() || desiredReplicas == null || desiredReplicas.isEmpty()) {
    return UNKNOWN
}
def active = activeReplicas[-1].point
def desired = desiredReplicas[-1].point
if (desired <= 0) {
    return CLEAR // a service scaled to zero is healthy
}
if (active <= 0) {
    return CRITICAL
}
if (active < desired) {
    return DEVIATING
}
return CLEAR
