package console

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	. "github.com/onsi/gomega"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/rpa-operator/rpa-operator/internal/console/session"
	"github.com/rpa-operator/rpa-operator/internal/console/web"
	"github.com/rpa-operator/rpa-operator/internal/workqueue/itemfile"
)

// uploadRequest is a browser's multipart POST of the upload form.
func uploadRequest(t *testing.T, fields map[string]string, fileName, content string) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write([]byte(content))
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodPost, "/namespaces/social/queues/certificates/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

func TestAnUploadIsReadWholeBeforeAnyLineIsSent(t *testing.T) {
	tests := []struct {
		name        string
		fields      map[string]string
		file        string
		content     string
		wantProblem string
		wantValues  map[string]any
		wantLines   int
		wantRefs    []string
	}{
		{name: "a CSV file, its reference from the reference column", file: "attester.csv",
			content: "\ufeffreference,cpr\n2026-4711,0101701234\n2026-4712,0202802345\n", wantLines: 2, wantRefs: []string{"2026-4711", "2026-4712"}},
		{name: "JSON lines, the format chosen", file: "items.txt", fields: map[string]string{"format": "jsonl"},
			content: `{"reference":"a"}` + "\n" + `{"reference":"b"}` + "\n", wantLines: 2, wantRefs: []string{"a", "b"}},
		{name: "a refused line is a line of the report, not the file's end", file: "attester.csv", content: "reference,cpr\na,1\nb\n", wantLines: 2,
			wantRefs: []string{"a", "refused: 1 fields, but the header has 2 columns"}},
		{name: "no file", wantProblem: "upload.noFile"},
		{name: "a name that says no format", file: "attester.txt", content: "reference\na\n", wantProblem: "upload.unknownFormat"},
		{name: "a named reference column the file has not", file: "attester.csv", fields: map[string]string{"referenceField": "sag"},
			content: "cpr,name\n1,Anne\n", wantProblem: "upload.noReferenceColumn", wantValues: map[string]any{"Field": "sag", "Columns": "cpr, name"}},
		{name: "a header that cannot name a payload", file: "attester.csv", content: "cpr;name\n1;Anne\n", wantProblem: "upload.unreadable"},
		{name: "a priority out of range", file: "attester.csv", fields: map[string]string{"priority": "1001"}, content: "reference\na\n", wantProblem: "upload.badPriority"},
		{name: "a priority that is not a number", file: "attester.csv", fields: map[string]string{"priority": "high"}, content: "reference\na\n", wantProblem: "upload.badPriority"},
		{name: "only a header", file: "attester.csv", content: "reference,cpr\n", wantProblem: "upload.empty"},
		{name: "more lines than one upload adds", file: "items.jsonl", content: strings.Repeat(`{"cpr":"1"}`+"\n", maxUploadLines+1),
			wantProblem: "upload.tooManyLines", wantValues: map[string]any{"Max": maxUploadLines}},
		{name: "as many lines as one upload adds", file: "items.jsonl", content: strings.Repeat(`{"cpr":"1"}`+"\n", maxUploadLines), wantLines: maxUploadLines},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			r := uploadRequest(t, tt.fields, tt.file, tt.content)
			g.Expect(parseForm(r, maxUploadFormBytes)).To(Succeed())
			up, data := readUpload(r, "social", "certificates")
			g.Expect(data.Problem).To(Equal(tt.wantProblem), "problem (%s)", data.Detail)
			g.Expect(data.ProblemData).To(Equal(tt.wantValues))
			g.Expect(up.lines).To(HaveLen(tt.wantLines))
			for i, ref := range tt.wantRefs {
				if line := up.lines[i]; line.Err != nil {
					g.Expect("refused: "+line.Err.Error()).To(Equal(ref), "line %d", i)
					continue
				}
				g.Expect(up.lines[i].Spec.Reference).To(Equal(ref), "line %d's reference", i)
				g.Expect(up.lines[i].Spec.Queue).To(Equal("certificates"), "line %d's queue", i)
			}
		})
	}
}

func TestTheUploadFormsReferenceColumnAndPriority(t *testing.T) {
	tests := []struct {
		name, field, priority string
		want                  itemfile.Defaults
		wantProblem           string
	}{
		{name: "nothing given: the reference column if there is one", want: itemfile.Defaults{Queue: "q", ReferenceField: "reference"}},
		{name: "a column named is required", field: " cpr ", priority: "-5", want: itemfile.Defaults{Queue: "q", ReferenceField: "cpr", ReferenceRequired: true, Priority: -5}},
		{name: "the highest priority", priority: "1000", want: itemfile.Defaults{Queue: "q", ReferenceField: "reference", Priority: 1000}},
		{name: "past int32", priority: "3000000000", wantProblem: "upload.badPriority"},
		{name: "a fraction", priority: "1.5", wantProblem: "upload.badPriority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, problem := uploadDefaults("q", tt.field, tt.priority)
			NewWithT(t).Expect(problem).To(Equal(tt.wantProblem))
			if problem == "" {
				NewWithT(t).Expect(got).To(Equal(tt.want))
			}
		})
	}
}

func TestAnUploadReportCountsItsLines(t *testing.T) {
	var report uploadReport
	for _, o := range []itemfile.Outcome{itemfile.Added, itemfile.Added, itemfile.Existing, itemfile.Refused} {
		report.add(itemfile.Answer{Outcome: o})
	}
	NewWithT(t).Expect([]int{report.Added, report.Existing, report.Refused, len(report.Lines)}).To(Equal([]int{2, 1, 1, 4}))
}

func TestAnAnswerThatWouldBeTheSameForEveryLineStopsTheUpload(t *testing.T) {
	ctx := t.Context()
	for _, tt := range []struct {
		err  error
		stop bool
	}{
		{err: nil},
		{err: apierrors.NewBadRequest("item 1: invalid work item")},
		{err: apierrors.NewConflict(workItemsGR, "", errors.New("busy"))},
		{err: apierrors.NewUnauthorized("token expired"), stop: true},
		{err: apierrors.NewForbidden(workItemsGR, "", errors.New("no")), stop: true},
		{err: apierrors.NewNotFound(workItemsGR, ""), stop: true},
		{err: apierrors.NewServiceUnavailable("rpa-server"), stop: true},
	} {
		if got := stopsUpload(ctx, tt.err); got != tt.stop {
			t.Errorf("stopsUpload(%v) = %v, want %v", tt.err, got, tt.stop)
		}
	}
}

func TestAFormsBodyIsBoundedBeforeItsTokenIsRead(t *testing.T) {
	sessions, err := session.NewStore([]byte("a unit test's console session key"), nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Sessions: sessions})
	if err != nil {
		t.Fatal(err)
	}
	var seen string
	next := func(w http.ResponseWriter, r *http.Request) { seen = r.PostFormValue("csrf") }
	bounded := s.boundedForm(4<<10, "upload.tooLarge", next)
	tests := []struct {
		name       string
		request    func() *http.Request
		wantStatus int
		wantCSRF   string
		wantText   string
	}{
		{name: "a multipart form's token is read", wantStatus: http.StatusOK, wantCSRF: "the-token",
			request: func() *http.Request {
				return uploadRequest(t, map[string]string{"csrf": "the-token"}, "a.csv", "reference\na\n")
			}},
		{name: "a URL-encoded form's token is read", wantStatus: http.StatusOK, wantCSRF: "the-token",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(url.Values{"csrf": {"the-token"}}.Encode()))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}},
		{name: "a file too large is told as such, in the browser's language", wantStatus: http.StatusRequestEntityTooLarge,
			wantText: "The file is larger than 5 MiB",
			request: func() *http.Request {
				r := uploadRequest(t, map[string]string{"csrf": "the-token"}, "a.csv", strings.Repeat("a,b\n", 2<<10))
				r.Header.Set("Accept-Language", "en")
				return r
			}},
		{name: "a URL-encoded body too large", wantStatus: http.StatusRequestEntityTooLarge, wantText: "Filen er større end 5 MiB",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("csrf=the-token&comment="+strings.Repeat("a", 8<<10)))
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}},
		{name: "a multipart body that is not one", wantStatus: http.StatusBadRequest, wantText: "Formularen kunne ikke læses",
			request: func() *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("not multipart"))
				r.Header.Set("Content-Type", "multipart/form-data; boundary=x")
				return r
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			seen = ""
			w := httptest.NewRecorder()
			bounded(w, tt.request())
			g.Expect(w.Code).To(Equal(tt.wantStatus), w.Body.String())
			g.Expect(seen).To(Equal(tt.wantCSRF), "the token the handler read")
			g.Expect(w.Body.String()).To(ContainSubstring(tt.wantText))
		})
	}
}

// TestTheCatalogsSayTheBoundsTheCodeSets: messages shown without values
// name the bounds themselves.
func TestTheCatalogsSayTheBoundsTheCodeSets(t *testing.T) {
	for _, lang := range []string{"da", "en"} {
		data, err := fs.ReadFile(web.Files, "i18n/"+lang+".json")
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"upload.tooLarge"} {
			_, text, _ := strings.Cut(string(data), `"`+key+`": "`)
			text, _, _ = strings.Cut(text, `"`)
			if want := fmt.Sprintf("%d MiB", maxUploadBytes>>20); !strings.Contains(text, want) {
				t.Errorf("%s %s = %q, want it to say %s", lang, key, text, want)
			}
		}
	}
}
