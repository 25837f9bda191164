package plugin

import (
	"testing"

	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestRunCreatesManualRunWithArguments(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)

	res := kubectlRobot(t, ns, "run", "welcome-letters", "--arg", "municipality=Roskilde", "--arg", "batch=a=b")
	g.Expect(res.err).NotTo(HaveOccurred())

	runs := runsOf(g, ns)
	g.Expect(runs).To(HaveLen(1))
	run := runs[0]
	g.Expect(run.Name).To(HavePrefix("welcome-letters-manual-"))
	g.Expect(res.out).To(Equal("robotrun/" + run.Name + " created\n"))
	g.Expect(run.Spec.RobotName).To(Equal("welcome-letters"))
	g.Expect(run.Spec.Arguments).To(Equal(map[string]string{"municipality": "Roskilde", "batch": "a=b"}))
	g.Expect(run.Spec.Trigger.Type).To(Equal(rpav1alpha1.TriggerManual))
	g.Expect(run.Labels).To(HaveKeyWithValue(rpav1alpha1.LabelRobot, "welcome-letters"))
	g.Expect(run.OwnerReferences).To(ContainElement(HaveField("Kind", "Robot")), "a dependent of its robot")
}

// TestManualRunIsCreatedOwnedByItsRobot: the run is created as its robot's
// dependent (not its controllee), so the controller need not adopt it.
func TestManualRunIsCreatedOwnedByItsRobot(t *testing.T) {
	g := NewWithT(t)
	robot := &rpav1alpha1.Robot{ObjectMeta: metav1.ObjectMeta{Namespace: "hr", Name: "welcome-letters", UID: "robot-uid"}}
	run, err := manualRun(robot, nil)
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(run.OwnerReferences).To(Equal([]metav1.OwnerReference{{
		APIVersion: "rpa.dev/v1alpha1", Kind: "Robot", Name: "welcome-letters", UID: "robot-uid",
	}}))
}

func TestRunRejectsMalformedArgumentsBeforeCreating(t *testing.T) {
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)
	for _, arg := range []string{"municipality", "=Roskilde", "1st=x", "kommune-navn=x"} {
		t.Run(arg, func(t *testing.T) {
			g := NewWithT(t)
			res := kubectlRobot(t, ns, "run", "welcome-letters", "--arg", arg)
			g.Expect(res.err).To(MatchError(ContainSubstring("want name=value")))
			g.Expect(ExitCode(res.err)).To(Equal(ExitError))
			g.Expect(runsOf(g, ns)).To(BeEmpty())
		})
	}
}

func TestRunOfMissingRobotNamesTheNamespace(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	res := kubectlRobot(t, ns, "run", "nobody")
	g.Expect(res.err).To(MatchError(`robot "nobody" not found in namespace "` + ns + `"`))
	g.Expect(ExitCode(res.err)).To(Equal(ExitError))
}

func TestRunWaitExitsZeroWhenTheRunSucceeds(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)

	done := make(chan result, 1)
	go func() { done <- kubectlRobot(t, ns, "run", "welcome-letters", "--wait") }()

	// Play the Job controller and kubelet for the run the plugin created.
	var runs []rpav1alpha1.RobotRun
	g.Eventually(func() []rpav1alpha1.RobotRun { runs = runsOf(g, ns); return runs }, timeout, interval).Should(HaveLen(1))
	succeedJob(g, waitForJob(g, &runs[0]))

	var res result
	g.Eventually(done, timeout).Should(Receive(&res))
	g.Expect(res.err).NotTo(HaveOccurred())
	g.Expect(ExitCode(res.err)).To(Equal(ExitOK))
	g.Expect(res.out).To(ContainSubstring("robotrun/" + runs[0].Name + " Succeeded (Completed)"))
	g.Expect(res.out).To(ContainSubstring("result:  processed 12, succeeded 12; 12 welcome letters sent"))
}

func TestRunWaitExitsNonZeroWhenTheRunFails(t *testing.T) {
	g := NewWithT(t)
	ns := newNamespace(t)
	createRobot(t, ns, "welcome-letters", nil)

	// The robot has no parameter "year": the controller fails the run with
	// InvalidArguments, without a Job.
	res := kubectlRobot(t, ns, "run", "welcome-letters", "--arg", "year=2026", "--wait")

	runs := runsOf(g, ns)
	g.Expect(runs).To(HaveLen(1))
	g.Expect(res.err).To(MatchError("robotrun " + runs[0].Name + " ended Failed (InvalidArguments)"))
	g.Expect(ExitCode(res.err)).To(Equal(ExitRunNotSucceeded))
	g.Expect(res.out).To(ContainSubstring(" Failed (InvalidArguments)"))
	g.Expect(res.out).To(ContainSubstring("\n  message: unknown argument(s) year (the robot's parameters: "))
}

func TestParseArguments(t *testing.T) {
	tests := []struct {
		name    string
		flags   []string
		want    map[string]string
		wantErr string
	}{
		{name: "none", flags: nil, want: nil},
		{name: "value may contain =", flags: []string{"filter=a=b"}, want: map[string]string{"filter": "a=b"}},
		{name: "empty value", flags: []string{"note="}, want: map[string]string{"note": ""}},
		{name: "no =", flags: []string{"note"}, wantErr: "want name=value"},
		{name: "name starts with digit", flags: []string{"1x=y"}, wantErr: "want name=value"},
		{name: "name with dash", flags: []string{"a-b=y"}, wantErr: "want name=value"},
		{name: "twice", flags: []string{"a=1", "a=2"}, wantErr: "--arg a given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWithT(t)
			got, err := parseArguments(tt.flags)
			if tt.wantErr != "" {
				g.Expect(err).To(MatchError(ContainSubstring(tt.wantErr)))
				return
			}
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(tt.want))
		})
	}
}
