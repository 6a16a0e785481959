// Trace 4xx errors (3.12.0: error types split into 5xx and 4xx errors).
// `errors4xx` is the metric stream of spans with span.errorClass = 4xx, summed per bucket.
// ILLUSTRATIVE: the real function body is not public. Client errors only make the component
// DEVIATING: the 5xx check decides CRITICAL.
if (errors4xx == null || errors4xx.isEmpty()) {
    return UNKNOWN
}
def errors = errors4xx[-1].point
if (errors > 0) {
    return DEVIATING
}
return CLEAR
