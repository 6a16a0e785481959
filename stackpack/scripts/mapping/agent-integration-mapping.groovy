// Agent Integration Mapping Function.
// 3.11.0: "Added the Agent Integration synchronization, mapping functions and templates to
// synchronize topology and telemetry coming from custom Agent Integrations".
//
// A custom check sends, in element.data (facts §5): name, layer, domain, environment, labels, tags
// (with integration-type:<t> and integration-url:<u>), identifiers, version, metrics[], events[],
// service_checks[] and checks[]. The template renders one stream list and one check list, so this
// function merges the three telemetry lists into `telemetry` and keeps the checks the template can
// render in `healthChecks`.
//
// Supported checks: the service-check health check (`is_service_check_health_check`), which reads an
// event stream only. Threshold checks (maximum_*, minimum_*, failed_ratio, ...) need DOUBLE
// parameters (StackState 5.0) and are skipped for StackState 4.3; their streams are kept.
// ILLUSTRATIVE: the real body is not public.
def data = element.data

def telemetry = []
(data.get("metrics") ?: []).each { m ->
    telemetry.add([
        streamType : "MetricStream",
        queryType  : "MetricTelemetryQuery",
        dataType   : "METRICS",
        dataSource : "urn:stackpack:common:data-source:stackstate-metrics",
        name       : m.get("name"),
        conditions : m.get("conditions") ?: [],
        metricField: m.get("metric_field") ?: "value",
        aggregation: m.get("aggregation") ?: "MEAN",
        priority   : m.get("priority") ?: "NONE",
        streamId   : m.get("stream_id")
    ])
}
(data.get("events") ?: []).each { e ->
    telemetry.add([
        streamType : "EventStream",
        queryType  : "EventTelemetryQuery",
        dataType   : "EVENTS",
        dataSource : "urn:stackpack:common:data-source:stackstate-generic-events",
        name       : e.get("name"),
        conditions : e.get("conditions") ?: [],
        metricField: "value",
        aggregation: "EVENT_COUNT",
        priority   : e.get("priority") ?: "NONE",
        streamId   : e.get("stream_id")
    ])
}
(data.get("service_checks") ?: []).each { s ->
    telemetry.add([
        streamType : "EventStream",
        queryType  : "EventTelemetryQuery",
        dataType   : "EVENTS",
        dataSource : "urn:stackpack:common:data-source:stackstate-generic-events",
        name       : s.get("name") ?: "Service Checks",
        conditions : s.get("conditions") ?: [],
        metricField: "value",
        aggregation: "EVENT_COUNT",
        priority   : s.get("priority") ?: "NONE",
        streamId   : s.get("stream_id")
    ])
}
// Streams without an id cannot be referenced by checks and would collide: drop them.
data.put("telemetry", telemetry.findAll { it.streamId != null && it.name })

def healthChecks = (data.get("checks") ?: []).findAll { c ->
    c.get("is_service_check_health_check") && c.get("stream_id") != null
}.collect { c ->
    [name: c.get("name") ?: "Integration Health", streamId: c.get("stream_id")]
}
data.put("healthChecks", healthChecks)

// Defaults for components that do not place themselves (layer names are Common StackPack layers).
if (!data.get("layer")) data.put("layer", "Uncategorized")
if (!data.get("name")) data.put("name", element.externalId)

return element
