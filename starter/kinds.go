package starter

import (
	"github.com/housecall/housecall/sop"
)

// kindSupported says whether requests of kind k can be started.
func (s *Server) kindSupported(k sop.RequestKind) bool {
	switch k {
	case sop.KindRepair, sop.KindReturn, sop.KindInstallationGuidance:
		return true
	}
	return false
}

// kindFieldProblems checks the fields a kind of request needs: the return's
// details (R3.3), the installation time of technical guidance (R4.6).
func (s *Server) kindFieldProblems(req sop.Request) map[string]string {
	f := map[string]string{}
	switch req.Kind {
	case sop.KindReturn:
		switch {
		case req.Return == nil:
			f["return"] = "required for a return or exchange: {exchange, sale_date, has_receipt, quality_problem, packaging_intact, special_price, installed, area_m2}"
		case req.Return.AreaM2 < 0:
			f["return.area_m2"] = "must not be negative"
		case req.Return.SaleDate != "":
			if _, err := sop.ParseDate(req.Return.SaleDate); err != nil {
				f["return.sale_date"] = err.Error()
			}
		}
	case sop.KindInstallationGuidance:
		if req.Guidance == nil || req.Guidance.InstallationAt.IsZero() {
			f["guidance.installation_at"] = "required for technical guidance (RFC 3339 time of the installation)"
		}
	}
	if req.Kind != sop.KindReturn && req.Return != nil {
		f["return"] = "only for kind return"
	}
	if req.Kind != sop.KindInstallationGuidance && req.Guidance != nil {
		f["guidance"] = "only for kind installation_guidance"
	}
	return f
}
