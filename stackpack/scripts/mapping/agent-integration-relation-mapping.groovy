// Agent Integration Relation Mapping Function (3.11.0).
// Relations sent by custom Agent checks carry optional `name` and `metrics[]`; keep only metric
// streams that have a stream id so that the relation template can render them.
// ILLUSTRATIVE: the real body is not public.
def data = element.data
if (!data.get("name")) {
    data.put("name", element.sourceExternalId + " -> " + element.targetExternalId)
}
def metrics = (data.get("metrics") ?: []).findAll { it.get("stream_id") != null && it.get("name") }
data.put("relationMetrics", metrics.collect { m ->
    [name       : m.get("name"),
     conditions : m.get("conditions") ?: [],
     metricField: m.get("metric_field") ?: "value",
     aggregation: m.get("aggregation") ?: "MEAN",
     priority   : m.get("priority") ?: "NONE",
     streamId   : m.get("stream_id")]
})

return element
