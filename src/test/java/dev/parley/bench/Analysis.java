package dev.parley.bench;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns what the sessions saw into a {@link Step}. Matching a result to the end of speech it
 * answers: a Parley {@code transcript.final} is matched to the latest source end of speech that
 * lies within its own [start_ms, end_ms + 300 ms] and is not yet taken (Parley's times only pick
 * the segment; the latency is measured on the load generator's clock); a pocketsphinx_continuous
 * hypothesis line, which carries no times, to the latest source end of speech already sent when
 * it arrived. Latency = arrival - the moment the 40 ms frame holding that end of speech was handed
 * to the transport. First partial: from the frame holding the utterance's first speech.
 */
final class Analysis {

    static final String FINAL = "eos_to_transcript_final";
    static final String TRANSLATION = "eos_to_translation_final";
    static final String TTS = "eos_to_tts_audio";
    static final String PARTIAL = "speech_start_to_first_partial";
    static final List<String> STAGES = List.of(FINAL, TRANSLATION, TTS, PARTIAL);

    private Analysis() {
    }

    static Step analyse(Benchmark b, int n, List<LoadSession> sessions, List<ProcStats.Sample> samples, double seconds) {
        Map<String, List<Long>> lat = new LinkedHashMap<>();
        STAGES.forEach(s -> lat.put(s, new ArrayList<>()));
        Step step = new Step(n, seconds, lat, samples);
        List<String> refs = new ArrayList<>();
        List<String> hyps = new ArrayList<>();
        for (LoadSession s : sessions) {
            step.bytesSent += s.bytesSent;
            step.maxLagMs = Math.max(step.maxLagMs, s.maxLagMs);
            if (s.failure != null) {
                step.failed++;
                if (step.failures.size() < 5) {
                    step.failures.add(s.failure);
                }
            }
            List<SourceAudio.Segment> speech = s.audio.speech();
            step.sourceEnds += speech.size();
            Set<Integer> taken = new HashSet<>();
            Map<String, SourceAudio.Segment> itemEnd = new HashMap<>();
            StringBuilder hyp = new StringBuilder();
            for (LoadSession.Result r : s.results) {
                if (!r.type().equals("transcript.final")) {
                    continue;
                }
                step.finals++;
                hyp.append(' ').append(r.text() == null ? "" : r.text());
                int best = -1;
                for (int i = 0; i < speech.size(); i++) {
                    long e = speech.get(i).endMs();
                    boolean ok = s instanceof LoadSession.Parley
                            ? e >= r.startMs() && e <= r.endMs() + 300
                            : s.sentAt(e) != 0 && s.sentAt(e) <= r.atNanos();
                    if (ok && !taken.contains(i)) {
                        best = i;
                    }
                }
                if (best < 0) {
                    step.unmatchedFinals++;
                    continue;
                }
                taken.add(best);
                SourceAudio.Segment seg = speech.get(best);
                lat.get(FINAL).add((r.atNanos() - s.sentAt(seg.endMs())) / 1_000_000);
                if (r.itemId() != null) {
                    long start = seg.startMs();
                    for (SourceAudio.Segment g : speech) {
                        if (g.endMs() >= r.startMs() && g.startMs() < start) {
                            start = g.startMs();
                        }
                    }
                    itemEnd.put(r.itemId(), new SourceAudio.Segment(start, seg.endMs()));
                }
            }
            Set<String> partialSeen = new HashSet<>();
            for (LoadSession.Result r : s.results) {
                SourceAudio.Segment seg = r.itemId() == null ? null : itemEnd.get(r.itemId());
                if (seg == null) {
                    continue;
                }
                switch (r.type()) {
                    case "transcript.partial" -> {
                        if (partialSeen.add(r.itemId())) {
                            lat.get(PARTIAL).add((r.atNanos() - s.sentAt(seg.startMs() + 1)) / 1_000_000);
                        }
                    }
                    case "translation.final" -> lat.get(TRANSLATION).add((r.atNanos() - s.sentAt(seg.endMs())) / 1_000_000);
                    case "tts.audio" -> lat.get(TTS).add((r.atNanos() - s.sentAt(seg.endMs())) / 1_000_000);
                    default -> { }
                }
            }
            if (s.failure == null && b.mode.equals("full") || s instanceof LoadSession.Sphinx && s.failure == null) {
                StringBuilder ref = new StringBuilder();
                s.audio.recordings().forEach(p -> ref.append(' ').append(p.recording().transcript()));
                refs.add(ref.toString());
                hyps.add(hyp.toString());
            }
            if (s instanceof LoadSession.Parley p) {
                step.overloadedErrors += p.overloaded;
                step.otherErrors += p.errors - p.overloaded;
                JsonNode closed = p.closed;
                if (closed != null) {
                    JsonNode a = closed.path("audio").path("speaker");
                    step.droppedBytes += a.path("dropped_bytes").asLong();
                    long received = a.path("bytes").asLong();
                    step.missingAtRecognizer += Math.max(0, p.bytesSent - received - a.path("dropped_bytes").asLong());
                    if (received == p.bytesSent && !p.sentSha256().equals(a.path("sha256").asText())) {
                        step.digestMismatches++;
                    }
                    long archived = b.archivedBytes(closed.path("session_id").asText(null));
                    if (archived >= 0) {
                        step.wavChecked++;
                        step.missingFromWav += Math.max(0, p.bytesSent - archived);
                    }
                }
            }
        }
        step.wer = Benchmark.wer(refs, hyps);
        List<String> why = new ArrayList<>();
        if (step.failed > 0) {
            why.add(step.failed + " session(s) failed");
        }
        if (step.droppedBytes + step.missingAtRecognizer + step.missingFromWav > 0) {
            why.add("audio dropped");
        }
        if (step.digestMismatches > 0) {
            why.add("audio reordered or corrupted");
        }
        if (step.maxLagMs > b.lagBoundMs) {
            why.add("ingest lag " + step.maxLagMs + " ms > " + b.lagBoundMs + " ms");
        }
        if (!b.mode.equals("archive-only")) {
            long p95 = Step.percentile(lat.get(FINAL), 95);
            if (lat.get(FINAL).isEmpty()) {
                why.add("no transcript.final");
            } else if (p95 >= b.boundMs) {
                why.add("p95 end of speech -> transcript.final " + p95 + " ms >= " + b.boundMs + " ms");
            }
        }
        step.pass = why.isEmpty();
        step.why = why;
        return step;
    }
}
