// Trace 5xx errors (3.12.0: "5xx errors - Use this in check function to determine critical status
// in the component").
// `errors5xx` is the metric stream of spans with span.errorClass = 5xx, summed per bucket.
// ILLUSTRATIVE: the real function body is not public; the rule "any 5xx error in the window is
// CRITICAL" follows the release note.
if (errors5xx == null || errors5xx.isEmpty()) {
    return UNKNOWN
}
def errors = errors5xx[-1].point
if (errors > 0) {
    return CRITICAL
}
return CLEAR
