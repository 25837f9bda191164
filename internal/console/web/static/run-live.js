// The run page's live part, the console's one script: it follows the
// run's event stream (run_live.go) and shows what arrives as text, never
// as markup. Without it the page still shows the run as it was loaded.
"use strict";
(() => {
	const live = document.getElementById("run-live");
	if (!live || !window.EventSource) {
		return;
	}
	const phase = document.getElementById("run-phase");
	const attempts = document.getElementById("run-attempts");
	const log = document.getElementById("run-log");
	// Each connection sends every attempt's log from its start, so the
	// first line of a pod on a connection replaces what the page shows.
	let fresh = new Set();
	const preOf = (pod) => {
		let pre = Array.from(log.querySelectorAll("pre")).find((p) => p.dataset.pod === pod);
		if (!pre) {
			for (const p of log.querySelectorAll("p")) {
				p.remove(); // "No log."
			}
			const heading = document.createElement("h3");
			heading.textContent = pod;
			pre = document.createElement("pre");
			pre.dataset.pod = pod;
			log.append(heading, pre);
		}
		return pre;
	};
	const events = new EventSource(live.dataset.events);
	live.hidden = false;
	events.addEventListener("open", () => {
		fresh = new Set();
	});
	events.addEventListener("status", (e) => {
		const s = JSON.parse(e.data);
		phase.textContent = s.phase;
		if (attempts) {
			attempts.textContent = String(s.attempts);
		}
	});
	events.addEventListener("log", (e) => {
		if (!log) {
			return;
		}
		const l = JSON.parse(e.data);
		const pre = preOf(l.pod);
		if (!fresh.has(l.pod)) {
			fresh.add(l.pod);
			pre.textContent = "";
		}
		pre.append(l.line + "\n");
	});
	events.addEventListener("end", () => {
		events.close();
		// The finished run's page: its summary, or its record once pruned.
		window.location.reload();
	});
	events.addEventListener("error", () => {
		// A refused or failed stream (the session ended, the run is gone):
		// the browser retries an interrupted one by itself; a refused one
		// leaves the page as loaded.
		if (events.readyState === EventSource.CLOSED) {
			live.hidden = true;
		}
	});
})();
