package sugiyama

// SetRelaxSweeps sets the sweeps of relax (0: Brandes-Köpf alone) for the
// width report; it returns a function restoring the setting.
func SetRelaxSweeps(n int) (restore func()) {
	old := relaxSweeps
	relaxSweeps = n
	return func() { relaxSweeps = old }
}
