package console

// EngLabel tells the engineer tests whether a label exists in both
// languages.
func EngLabel(key string) bool {
	labelsMu.RLock()
	defer labelsMu.RUnlock()
	l, ok := labels[key]
	return ok && l[0] != "" && l[1] != ""
}
