package console

// Labels of the contract's vocabularies: request statuses, and words shared
// by every page. Event and timeline-kind labels fall back to the
// contract's own names (translateVocab).

func init() {
	addLabels(map[string][2]string{
		"status.verifying":         {"verifying data", "核实资料"},
		"status.triage":            {"triage", "分析判断"},
		"status.consulting":        {"phone consultation", "电话指导"},
		"status.awaiting_parts":    {"awaiting parts", "等待配件"},
		"status.scheduling":        {"to be booked", "待预约"},
		"status.awaiting_customer": {"awaiting the customer", "等待顾客确认"},
		"status.scheduled":         {"booked", "已预约"},
		"status.en_route":          {"on the way", "在途"},
		"status.at_door":           {"at the door", "到达门口"},
		"status.in_service":        {"in service", "服务中"},
		"status.workshop":          {"in the workshop", "返厂维修"},
		"status.followup":          {"follow-up", "回访"},
		"status.closed":            {"closed", "已完成"},
		"status.cancelled":         {"cancelled", "已取消"},
	})
}

// vocab translates a word of a vocabulary (prefix "status.", "event.",
// "kind.", "clock."): its label when there is one, else the contract's
// name with "_" read as a space.
func vocab(lang, prefix, name string) string {
	key := prefix + name
	if l := translate(lang, key); l != key {
		return l
	}
	out := []byte(name)
	for i, b := range out {
		if b == '_' {
			out[i] = ' '
		}
	}
	return string(out)
}
