package sandbox

import "net/http"

// Reference kinds a task can be about.
const (
	RefMoveIn         = "move-in"
	RefCertificate    = "certificate"
	RefForeignCitizen = "foreign-citizen"
)

// TaskRequest hands an item to people: the business exceptions of the
// robots end up here.
type TaskRequest struct {
	// Queue is the team that takes it, such as "borgerservice" or "hr".
	Queue  string `json:"queue"`
	Title  string `json:"title"`
	Reason string `json:"reason"`
	// Reference is the item the task is about.
	Reference Reference `json:"reference"`
}

// Reference points at an item of the sandbox.
type Reference struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
}

// Task is a created task.
type Task struct {
	TaskRequest
	ID        string `json:"id"`
	Key       string `json:"key"`
	CreatedBy string `json:"createdBy"`
	CreatedAt string `json:"createdAt"`
}

// createTask answers POST /tasks. A task about a move-in marks it handed
// over; one about a certificate flags it for HR.
func (s *Server) createTask(w http.ResponseWriter, r *http.Request) {
	key, req, canonical, ok := readWrite[TaskRequest](w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if replayOrConflict(w, &s.tasks, key, canonical) {
		return
	}
	if req.Queue == "" || req.Title == "" {
		writeError(w, http.StatusUnprocessableEntity, "a task needs a queue and a title")
		return
	}
	if !s.markReferenced(req.Reference) {
		writeError(w, http.StatusNotFound, "no %s %s", req.Reference.Kind, req.Reference.ID)
		return
	}
	task := Task{TaskRequest: req, ID: seqID("T", s.tasks.len()+1, 5), Key: key, CreatedBy: actor(r), CreatedAt: s.timestamp()}
	s.tasks.add(key, canonical, task)
	s.log.Info("task created", "key", key, "queue", req.Queue, "by", task.CreatedBy)
	writeJSON(w, http.StatusCreated, task)
}

// markReferenced records that the referenced item went to people; false
// when there is no such item. s.mu is held.
func (s *Server) markReferenced(ref Reference) bool {
	switch ref.Kind {
	case RefMoveIn:
		m := s.moveIn(ref.ID)
		if m != nil && m.Status == MoveInNew {
			m.Status = MoveInHandedOver
		}
		return m != nil
	case RefCertificate:
		c := s.certificate(ref.ID)
		if c != nil {
			c.FlaggedForHR = true
			c.Done = c.isDone()
		}
		return c != nil
	case RefForeignCitizen:
		return s.citizen(ref.ID) != nil
	}
	return false
}

// listTasks answers GET /tasks?queue=.
func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) {
	queue := r.URL.Query().Get("queue")
	s.mu.Lock()
	defer s.mu.Unlock()
	list := []Task{}
	for _, t := range s.tasks.records() {
		if queue == "" || t.Queue == queue {
			list = append(list, t)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": list})
}
