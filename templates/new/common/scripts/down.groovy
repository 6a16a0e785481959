// Check function `down`: `up` is the window of the component's `@@NAME@@.up` metric (1 up, 0 down).
// Edit it to compute the health state you need: CLEAR, DEVIATING, CRITICAL or UNKNOWN.
if (up == null || up.isEmpty()) return UNKNOWN
return up[-1].point < 1 ? CRITICAL : CLEAR
