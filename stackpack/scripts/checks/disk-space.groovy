// Host disk space (4.2.0: "Introduced Disk Metrics and Check on Host").
// Agent changelog 2.10.0: "DEVIATING ... when disk space reaches 80% and CRITICAL at 100%".
// `diskInUse` is `system.disk.in_use` (fraction 0..1), the maximum over the host's disks.
// The thresholds are constants here, not parameters: DOUBLE parameters need StackState 5.0 and
// this pack supports 4.3.0 (reference/stackstate-compat.toml).
// ILLUSTRATIVE: that the check reads system.disk.in_use is inferred.
def deviatingValue = 0.8
def criticalValue = 1.0

if (diskInUse == null || diskInUse.isEmpty()) {
    return UNKNOWN
}
def inUse = diskInUse[-1].point
if (inUse >= criticalValue) {
    return CRITICAL
}
if (inUse >= deviatingValue) {
    return DEVIATING
}
return CLEAR
