package sandbox

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// listSystems answers GET /systems.
// keyStatus is the JSON field that says whether a system answers.
const keyStatus = "status"

func (s *Server) listSystems(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := make([]systemView, 0, len(s.systems))
	for _, sys := range s.systems {
		list = append(list, view(*sys))
	}
	slices.SortFunc(list, func(a, b systemView) int { return strings.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, map[string]any{"systems": list})
}

// systemHealth answers GET /systems/{name}/health after the system's
// latency: 200 when it is up, 503 when it is down.
func (s *Server) systemHealth(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	s.mu.Lock()
	sys, ok := s.systems[name]
	var state System
	if ok {
		state = *sys
		s.systemChecks++
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "no system %q", name)
		return
	}
	if state.Latency > 0 {
		timer := time.NewTimer(state.Latency)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-r.Context().Done():
			return
		}
	}
	if !state.Up {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"system": name, keyStatus: "down"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"system": name, "status": "up"})
}

// systemUpdate is the body of PUT /systems/{name}.
type systemUpdate struct {
	Up bool `json:"up"`
	// Latency is a Go duration such as "150ms".
	Latency string `json:"latency"`
}

// setSystem answers PUT /systems/{name}: a test or a demo takes a system
// down or slows it, and system-monitor should notice.
func (s *Server) setSystem(w http.ResponseWriter, r *http.Request) {
	var u systemUpdate
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBytes)).Decode(&u); err != nil {
		writeError(w, http.StatusBadRequest, "read request: %v", err)
		return
	}
	latency := time.Duration(0)
	if u.Latency != "" {
		var err error
		if latency, err = time.ParseDuration(u.Latency); err != nil || latency < 0 {
			writeError(w, http.StatusBadRequest, "latency %q is not a duration such as 150ms", u.Latency)
			return
		}
	}
	sys := System{Name: r.PathValue("name"), Up: u.Up, Latency: latency}
	s.SetSystem(sys)
	writeJSON(w, http.StatusOK, view(sys))
}

// systemView is a System as JSON shows it, with a readable latency.
type systemView struct {
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	Latency string `json:"latency"`
}

func view(sys System) systemView {
	return systemView{Name: sys.Name, Up: sys.Up, Latency: sys.Latency.String()}
}

// SetSystem adds a monitored system or changes one.
func (s *Server) SetSystem(sys System) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.systems[sys.Name] = &sys
}
