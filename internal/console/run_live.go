package console

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/console/kube"
	"github.com/rpa-operator/rpa-operator/internal/console/session"
)

// The run page's live part: a Server-Sent Events stream of the run's state
// and its current attempt's log, read as the signed-in user, which the
// page's one script (static/run-live.js) shows. The page works without it;
// the stream only saves a person from reloading.
const (
	// livePoll is how often the stream reads the run's state: a run's
	// phase changes a few times in its life, and a person waits for it.
	livePoll = 2 * time.Second
	// liveKeepAlive keeps proxies from closing a quiet stream.
	liveKeepAlive = 15 * time.Second
	// liveMaxAge ends a stream; the browser's EventSource opens a new one,
	// which reads the user's session (and its renewed token) again.
	liveMaxAge = 10 * time.Minute
	// liveWriteTimeout bounds each write, in place of the server's
	// WriteTimeout, which a stream outlives.
	liveWriteTimeout = 30 * time.Second
	// maxLogLine cuts one log line: a robot's text is bounded data.
	maxLogLine = 4 << 10
	// maxLiveStreams bounds the streams one console serves at once; past
	// it a page is not followed (503), and shows the run as loaded.
	maxLiveStreams = 256
	// minLiveAge keeps a stream whose token expires soon from reconnecting
	// at once, again and again.
	minLiveAge = 10 * time.Second
)

// EndStreams ends every open event stream, for a server shutting down
// (http.Server.RegisterOnShutdown): a browser's EventSource then opens a
// new one, at another replica. Shutdown itself would wait for them.
func (s *Server) EndStreams() { s.endStreams() }

// streamLifetime is how long a stream may last: liveMaxAge, and less when
// the session's ID token expires sooner, so that a stream does not outlive
// the identity it reads with (the next one renews it).
func streamLifetime(now, tokenExpiry time.Time) time.Duration {
	if tokenExpiry.IsZero() {
		return liveMaxAge
	}
	return min(liveMaxAge, max(tokenExpiry.Sub(now)-time.Minute, minLiveAge))
}

// liveStatus is a "status" event: what the page's state line says, and
// whether the run has finished (for clients other than the page's
// script, which waits for "end").
type liveStatus struct {
	Phase    string `json:"phase"`
	Attempts int32  `json:"attempts"`
	Finished bool   `json:"finished"`
}

// liveLog is a "log" event: one line of an attempt's log. The stream sends
// the attempt's log from its start, so the page replaces what it showed.
type liveLog struct {
	Pod  string `json:"pod"`
	Line string `json:"line"`
}

// runEvents streams the run's state and its current attempt's log until
// the run has finished and the log has ended, the browser goes, or
// liveMaxAge passes.
func (s *Server) runEvents(w http.ResponseWriter, r *http.Request, sess session.Session, users *kube.Clients) {
	select {
	case s.liveStreams <- struct{}{}:
		defer func() { <-s.liveStreams }()
	default:
		w.Header().Set("Retry-After", "60")
		http.Error(w, http.StatusText(http.StatusServiceUnavailable), http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), streamLifetime(s.Clock.Now(), sess.TokenExpiry))
	defer cancel()
	defer context.AfterFunc(s.streamsDone, cancel)()
	key := client.ObjectKey{Namespace: r.PathValue("namespace"), Name: r.PathValue("run")}
	run := &rpav1alpha1.RobotRun{}
	if err := users.Kube.Get(ctx, key, run); err != nil {
		http.Error(w, http.StatusText(statusOf(err)), statusOf(err))
		return
	}
	canReadLogs, err := canReadPodLogs(ctx, users, key.Namespace)
	if err != nil {
		http.Error(w, http.StatusText(http.StatusBadGateway), http.StatusBadGateway)
		return
	}
	lines := make(chan liveLog, 64)
	live := &runStream{
		users: users, key: key, run: run, canReadLogs: canReadLogs, lines: lines,
		stream: newEventStream(w), translate: s.translator(sess.Lang),
		follower: newLogFollower(users, key.Namespace, lines),
	}
	live.serve(ctx)
}

// runStream is one browser's stream of one run.
type runStream struct {
	users       *kube.Clients
	key         client.ObjectKey
	run         *rpav1alpha1.RobotRun
	lastVersion string
	canReadLogs bool
	lines       <-chan liveLog
	stream      *eventStream
	translate   func(string, any) string
	follower    *logFollower
}

func (rs *runStream) serve(ctx context.Context) {
	poll := time.NewTicker(livePoll)
	defer poll.Stop()
	keepAlive := time.NewTicker(liveKeepAlive)
	defer keepAlive.Stop()
	for rs.report(ctx) {
		if !rs.wait(ctx, poll.C, keepAlive.C) {
			return
		}
	}
}

// report sends the run's state when it has changed and follows the logs
// of attempts that have started; false once the run and its logs ended.
func (rs *runStream) report(ctx context.Context) bool {
	if rs.run.ResourceVersion != rs.lastVersion {
		rs.lastVersion = rs.run.ResourceVersion
		if rs.stream.send("status", statusEvent(rs.run, rs.translate)) != nil {
			return false
		}
	}
	if rs.canReadLogs {
		rs.follower.followNew(ctx, rs.run)
	}
	if rs.run.Status.Phase.Finished() && rs.follower.done() {
		_ = rs.stream.send("end", struct{}{})
		return false
	}
	return true
}

// wait passes log lines on until it is time to read the run again; false
// when the stream has ended.
func (rs *runStream) wait(ctx context.Context, poll, keepAlive <-chan time.Time) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case line := <-rs.lines:
			if rs.stream.send("log", line) != nil {
				return false
			}
		case <-keepAlive:
			if rs.stream.comment("keep-alive") != nil {
				return false
			}
		case <-poll:
			next := &rpav1alpha1.RobotRun{}
			if err := rs.users.Kube.Get(ctx, rs.key, next); err != nil {
				_ = rs.stream.send("end", struct{}{}) // pruned or no longer the user's: the page reloads
				return false
			}
			rs.run = next
			return true
		}
	}
}

func statusEvent(run *rpav1alpha1.RobotRun, translate func(string, any) string) liveStatus {
	return liveStatus{Phase: phaseText(run, translate), Attempts: run.Status.Attempts, Finished: run.Status.Phase.Finished()}
}

// phaseText is a live run's state line: its phase, the reason in plain
// words and the operator's message. The page and its stream say the same.
func phaseText(run *rpav1alpha1.RobotRun, translate func(string, any) string) string {
	phase := run.Status.Phase
	if phase == "" {
		phase = rpav1alpha1.PhasePending
	}
	text := translate(fmt.Sprintf("phase.%s", phase), nil)
	if c := findSucceeded(run); c != nil && c.Reason != "" {
		text += ": " + reasonInWords(translate, c.Reason)
	}
	if run.Status.Message != "" {
		text += " · " + run.Status.Message
	}
	return text
}

// logFollower follows each attempt's log once, as the user, from the
// attempt's start: a pod's log once it has a container to read.
type logFollower struct {
	users     *kube.Clients
	namespace string
	lines     chan<- liveLog
	followed  map[string]bool
	running   int
	// ended gets one value as each follower ends.
	ended chan struct{}
}

func newLogFollower(users *kube.Clients, namespace string, lines chan<- liveLog) *logFollower {
	return &logFollower{users: users, namespace: namespace, lines: lines, followed: map[string]bool{}, ended: make(chan struct{})}
}

// followNew starts following the run's pods not followed yet whose robot
// container has started.
func (f *logFollower) followNew(ctx context.Context, run *rpav1alpha1.RobotRun) {
	f.reap()
	pods, err := runPods(ctx, f.users, run)
	if err != nil {
		return // the next poll tries again
	}
	for i := range pods {
		pod := &pods[i]
		if f.followed[pod.Name] || !robotStarted(pod) {
			continue
		}
		f.followed[pod.Name] = true
		f.running++
		go f.follow(ctx, pod.Name)
	}
}

// reap counts the followers that have ended.
func (f *logFollower) reap() {
	for {
		select {
		case <-f.ended:
			f.running--
		default:
			return
		}
	}
}

// done: no log is being followed now.
func (f *logFollower) done() bool {
	f.reap()
	return f.running == 0
}

func (f *logFollower) follow(ctx context.Context, pod string) {
	defer func() {
		select {
		case f.ended <- struct{}{}:
		case <-ctx.Done(): // the stream has ended: nobody counts
		}
	}()
	limit := int64(maxLogBytesShown)
	body, err := f.users.Clientset.CoreV1().Pods(f.namespace).GetLogs(pod, &corev1.PodLogOptions{
		Container: rpav1alpha1.RobotContainerName, Follow: true, LimitBytes: &limit,
	}).Stream(ctx)
	if err != nil {
		return
	}
	defer func() { _ = body.Close() }()
	reader := bufio.NewReaderSize(body, maxLogLine)
	for {
		line, err := readBoundedLine(reader)
		if line != "" || err == nil {
			select {
			case f.lines <- liveLog{Pod: pod, Line: line}:
			case <-ctx.Done():
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// readBoundedLine reads one line without its newline, keeping at most
// maxLogLine bytes of it and dropping the rest.
func readBoundedLine(r *bufio.Reader) (string, error) {
	chunk, isPrefix, err := r.ReadLine()
	line := string(chunk)
	for isPrefix && err == nil {
		_, isPrefix, err = r.ReadLine()
	}
	if err == io.EOF && line != "" {
		err = nil
	}
	return line, err
}

// robotStarted: the robot container runs or has run, so it has a log.
func robotStarted(pod *corev1.Pod) bool {
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == rpav1alpha1.RobotContainerName && (c.State.Running != nil || c.State.Terminated != nil) {
			return true
		}
	}
	return false
}

// eventStream writes Server-Sent Events, flushing each.
type eventStream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func newEventStream(w http.ResponseWriter) *eventStream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("X-Accel-Buffering", "no") // a proxy must pass each event on at once
	rc := http.NewResponseController(w)
	// The server's read timeout would end the stream: with HTTP/1.1 an
	// expired read deadline cancels the request.
	_ = rc.SetReadDeadline(time.Time{})
	w.WriteHeader(http.StatusOK)
	return &eventStream{w: w, rc: rc}
}

// send writes one event whose data is v as JSON: one line, so no text of
// a robot's can end the event or start another.
func (e *eventStream) send(event string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.write("event: " + event + "\ndata: " + string(data) + "\n\n")
}

func (e *eventStream) comment(text string) error {
	return e.write(": " + text + "\n\n")
}

func (e *eventStream) write(s string) error {
	_ = e.rc.SetWriteDeadline(time.Now().Add(liveWriteTimeout))
	if _, err := io.WriteString(e.w, s); err != nil {
		return err
	}
	return e.rc.Flush()
}
