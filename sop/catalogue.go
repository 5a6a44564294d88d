package sop

// RuleInfo describes one rule of the SOP for operators and auditors:
// `housecall rules` prints the catalogue, and docs/rules.md is generated
// from it (a test fails when the file drifts). The judge that gives the
// rule's verdict, and what its verdict means (the judge's doc comment), come
// from package audit; the configuration keys' defaults from package config.
type RuleInfo struct {
	Rule   Rule
	Title  string // the rule, in one sentence
	Source string // where sop-rules.md traces it in the source documents
	// How is how housecall keeps the rule: what the workflow enforces,
	// which clock escalates, what the engineer confirms.
	How    string
	Keys   []string    // sop.* configuration keys the rule reads
	Events []EventType // events that carry the rule
	Kinds  []Kind      // timeline kinds the rule's entries have
}

// Info returns the catalogue entry of a rule.
func Info(r Rule) (RuleInfo, bool) {
	for _, i := range Catalogue {
		if i.Rule == r {
			return i, true
		}
	}
	return RuleInfo{}, false
}
