package starter

import (
	"github.com/housecall/housecall/sop"
)

// kindSupported says whether requests of kind k can be started.
func (s *Server) kindSupported(k sop.RequestKind) bool {
	return k == sop.KindRepair
}

// kindFieldProblems checks the fields a kind of request needs.
func (s *Server) kindFieldProblems(req sop.Request) map[string]string {
	return nil
}
