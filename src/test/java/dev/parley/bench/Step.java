package dev.parley.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One step of a run: N sessions for the step's duration, and what was measured. */
final class Step {

    final int sessions;
    final double seconds;
    final Map<String, List<Long>> latencies;
    final List<ProcStats.Sample> samples;
    long bytesSent;
    long droppedBytes;
    long missingAtRecognizer;
    long missingFromWav;
    int wavChecked;
    int digestMismatches;
    long maxLagMs;
    int failed;
    final List<String> failures = new ArrayList<>();
    int finals;
    int unmatchedFinals;
    int sourceEnds;
    int overloadedErrors;
    int otherErrors;
    double wer;
    boolean pass;
    List<String> why = List.of();

    Step(int sessions, double seconds, Map<String, List<Long>> latencies, List<ProcStats.Sample> samples) {
        this.sessions = sessions;
        this.seconds = seconds;
        this.latencies = latencies;
        this.samples = samples;
    }

    static long percentile(List<Long> values, double p) {
        if (values.isEmpty()) {
            return -1;
        }
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
    }

    double mean(java.util.function.ToDoubleFunction<ProcStats.Sample> f) {
        // the first and last seconds are ramp-up and drain
        List<ProcStats.Sample> s = samples.size() > 6 ? samples.subList(2, samples.size() - 2) : samples;
        return s.stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    double max(java.util.function.ToDoubleFunction<ProcStats.Sample> f) {
        return samples.stream().mapToDouble(f).max().orElse(Double.NaN);
    }

    Map<String, Object> toJson() {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("sessions", sessions);
        j.put("pass", pass);
        j.put("why_not", why);
        j.put("seconds", Math.round(seconds * 10) / 10.0);
        Map<String, Object> stages = new LinkedHashMap<>();
        latencies.forEach((k, v) -> {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("n", v.size());
            s.put("p50_ms", percentile(v, 50));
            s.put("p95_ms", percentile(v, 95));
            s.put("p99_ms", percentile(v, 99));
            s.put("max_ms", percentile(v, 100));
            s.put("samples_ms", v);
            stages.put(k, s);
        });
        j.put("latency", stages);
        j.put("finals", finals);
        j.put("unmatched_finals", unmatchedFinals);
        j.put("source_speech_ends", sourceEnds);
        j.put("wer", Double.isNaN(wer) ? null : wer);
        Map<String, Object> audio = new LinkedHashMap<>();
        audio.put("bytes_sent", bytesSent);
        audio.put("dropped_bytes_reported", droppedBytes);
        audio.put("missing_at_recognizer_bytes", missingAtRecognizer);
        audio.put("missing_from_audio_wav_bytes", missingFromWav);
        audio.put("audio_wav_checked_sessions", wavChecked);
        audio.put("sha256_mismatches", digestMismatches);
        audio.put("max_ingest_lag_ms", maxLagMs);
        audio.put("overloaded_errors", overloadedErrors);
        audio.put("other_errors", otherErrors);
        j.put("audio", audio);
        j.put("failed_sessions", failed);
        j.put("failures", failures);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("server_cpu_pct_mean", round(mean(ProcStats.Sample::serverCpu)));
        cpu.put("server_cpu_pct_max", round(max(ProcStats.Sample::serverCpu)));
        cpu.put("server_rss_mb_max", round(max(ProcStats.Sample::serverRssMb)));
        cpu.put("server_tree_rss_mb_max", round(max(ProcStats.Sample::treeRssMb)));
        cpu.put("loadgen_cpu_pct_mean", round(mean(ProcStats.Sample::loadgenCpu)));
        cpu.put("machine_cpu_pct_mean", round(mean(ProcStats.Sample::machineCpu)));
        cpu.put("samples", samples);
        j.put("resources", cpu);
        return j;
    }

    static double round(double v) {
        return Double.isNaN(v) ? -1 : Math.round(v * 10) / 10.0;
    }

    void print(long boundMs) {
        System.out.printf("N=%d %s%s  (%.0f s, %d finals, %d unmatched, WER %s)%n", sessions, pass ? "PASS" : "FAIL",
                why.isEmpty() ? "" : " " + why, seconds, finals, unmatchedFinals, Double.isNaN(wer) ? "-" : String.format("%.3f", wer));
        latencies.forEach((k, v) -> System.out.printf("  %-32s n=%-5d p50=%5d  p95=%5d  p99=%5d ms%n", k, v.size(),
                percentile(v, 50), percentile(v, 95), percentile(v, 99)));
        System.out.printf("  server CPU %.0f%% (max %.0f%%), RSS max %.0f MB (tree %.0f MB); load generator CPU %.0f%%; machine %.0f%% of %d cores%n",
                mean(ProcStats.Sample::serverCpu), max(ProcStats.Sample::serverCpu), max(ProcStats.Sample::serverRssMb),
                max(ProcStats.Sample::treeRssMb), mean(ProcStats.Sample::loadgenCpu), mean(ProcStats.Sample::machineCpu) / ProcStats.CORES,
                ProcStats.CORES);
        System.out.printf("  audio: sent %d B, dropped %d B, missing at recognizer %d B, missing from audio.wav %d B (%d checked), max ingest lag %d ms%n",
                bytesSent, droppedBytes, missingAtRecognizer, missingFromWav, wavChecked, maxLagMs);
        failures.forEach(f -> System.out.println("  failure: " + f));
    }
}
