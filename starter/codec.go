package starter

import (
	"net/http"
	"slices"
	"strings"

	"go.temporal.io/sdk/converter"
	"go.uber.org/zap"

	"github.com/housecall/housecall/codec"
	"github.com/housecall/housecall/sop"
)

// Encryption is how the API reads and writes encrypted Temporal payloads.
type Encryption struct {
	// Codec is the payload codec of the Temporal client (nil: none). The
	// auditor's timeline and history are decoded with it, and it serves the
	// codec endpoint.
	Codec *codec.Codec
	// Origins are the browser origins (the Temporal UI) allowed to call the
	// codec endpoint.
	Origins []string
}

// maxCodecBody bounds a codec request: the UI sends one event's payloads.
const maxCodecBody = 16 << 20

// routeCodec serves Temporal's remote codec protocol for the Temporal UI and
// CLI: POST /codec/decode and /codec/encode with {"payloads":[…]} — behind
// the auditor's or admin's bearer token. A browser cannot add an
// Authorization header to the UI's codec calls, so the token may also be a
// path segment: the UI's codec endpoint is then
// http://API/codec/t/TOKEN (the UI appends /decode). CORS preflights are
// answered without a token, for the configured origins only.
func (s *Server) routeCodec() {
	if s.Encryption.Codec == nil {
		return
	}
	handler := converter.NewPayloadCodecHTTPHandler(s.Encryption.Codec)
	serve := func(w http.ResponseWriter, r *http.Request, _ principal, _ *zap.Logger) int {
		r.Body = http.MaxBytesReader(w, r.Body, maxCodecBody)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		handler.ServeHTTP(sw, r)
		return sw.status
	}
	// The routes with authentication, logging and metrics live on their own
	// mux, so that the CORS headers are set before authentication answers.
	outer, inner := s.mux, http.NewServeMux()
	s.mux = inner
	allowed := roles(sop.RoleAuditor, sop.RoleAdmin)
	s.route("POST /codec/decode", allowed, serve)
	s.route("POST /codec/encode", allowed, serve)
	s.mux = outer

	outer.HandleFunc("POST /codec/{op}", func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		inner.ServeHTTP(w, r)
	})
	outer.HandleFunc("POST /codec/t/{token}/{op}", func(w http.ResponseWriter, r *http.Request) {
		s.cors(w, r)
		r2 := r.Clone(r.Context())
		r2.Header.Set("Authorization", "Bearer "+r.PathValue("token"))
		r2.URL.Path, r2.URL.RawPath = "/codec/"+r.PathValue("op"), ""
		inner.ServeHTTP(w, r2)
	})
	outer.HandleFunc("OPTIONS /codec/", func(w http.ResponseWriter, r *http.Request) {
		if !s.cors(w, r) {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		w.Header().Set("Access-Control-Allow-Methods", "POST, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-Namespace")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
	})
}

// cors allows the request's origin when it is one of Encryption.Origins.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	w.Header().Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	if origin == "" || !slices.Contains(s.Encryption.Origins, strings.TrimSuffix(origin, "/")) {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", origin)
	w.Header().Set("Access-Control-Allow-Credentials", "true")
	return true
}

// dataConverter decodes what the workflows wrote (audit): the codec's.
func (s *Server) dataConverter() converter.DataConverter {
	dc, _ := codec.Converters(s.Encryption.Codec)
	return dc
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}
