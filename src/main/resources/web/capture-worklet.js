/*
 * Parley microphone capture, run as an AudioWorklet module.
 *
 * Takes the microphone at the AudioContext's rate (often 48000 or 44100 Hz), low-pass filters and
 * resamples it to 24000 Hz with a polyphase windowed-sinc (Kaiser) filter, converts it to 16-bit
 * little-endian PCM and posts fixed-size frames (40 ms by default) to the page, each with the
 * frame's level for the meter.
 *
 * Loaded as a classic script outside a worklet (no registerProcessor), it only defines
 * globalThis.ParleyResampler, so the filter can be checked in a page.
 */
'use strict';

/**
 * Rational polyphase resampler: output sample n sits at input time n * M / L, and is the input
 * convolved with a Kaiser-windowed sinc low-pass evaluated at that fractional position. The L
 * phases of the filter are computed once; each phase is normalised to unity gain at DC.
 *
 * The low-pass cuts at the lower of the two Nyquist frequencies: the passband runs to 43% of the
 * lower rate (10.3 kHz for 24 kHz output) and the stopband (80 dB) starts at 50% of it, so nothing
 * above the new Nyquist frequency folds back into the audio.
 */
class ParleyResampler {
  constructor(inputRate, outputRate, options) {
    options = options || {};
    this.inputRate = inputRate;
    this.outputRate = outputRate;
    const attenuation = options.attenuationDb || 80;
    const passband = options.passband || 0.43;          // fraction of the lower rate
    const ratio = ParleyResampler.ratio(Math.round(inputRate), Math.round(outputRate), 1024);
    this.L = ratio.L;                                    // phases (up factor)
    this.M = ratio.M;                                    // step in phases per output (down factor)
    this.passthrough = this.L === this.M;

    const lower = Math.min(inputRate, outputRate);
    const pass = passband * lower;
    const stop = 0.5 * lower;
    const cutoff = (pass + stop) / 2 / inputRate;        // cycles per input sample
    const transition = (stop - pass) / inputRate;
    const beta = attenuation > 50 ? 0.1102 * (attenuation - 8.7)
      : attenuation >= 21 ? 0.5842 * Math.pow(attenuation - 21, 0.4) + 0.07886 * (attenuation - 21) : 0;
    const length = Math.ceil((attenuation - 8) / (2.285 * 2 * Math.PI * transition)) + 1;
    this.half = Math.max(2, Math.ceil(length / 2));      // taps each side of the output instant
    this.taps = 2 * this.half;

    // table[p * taps + j] weighs input sample (base - half + 1 + j) for fractional position p / L.
    this.table = new Float32Array(this.L * this.taps);
    const i0beta = ParleyResampler.besselI0(beta);
    for (let p = 0; p < this.L; p++) {
      const frac = p / this.L;
      let sum = 0;
      for (let j = 0; j < this.taps; j++) {
        const d = j - this.half + 1 - frac;              // distance in input samples
        const u = d / this.half;
        let w = 0;
        if (u > -1 && u < 1) {
          w = ParleyResampler.besselI0(beta * Math.sqrt(1 - u * u)) / i0beta;
        }
        const x = 2 * cutoff * d;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const h = 2 * cutoff * sinc * w;
        this.table[p * this.taps + j] = h;
        sum += h;
      }
      for (let j = 0; j < this.taps; j++) {
        this.table[p * this.taps + j] /= sum;
      }
    }

    // Input history: half - 1 zeros before the first sample, so output 0 lines up with input 0.
    this.buffer = new Float32Array(8192);
    this.length = this.half - 1;
    this.base = this.half - 1;                           // index of the input sample at or before the output instant
    this.phase = 0;                                      // numerator of the fractional position, 0..L-1
  }

  /** L/M = outputRate/inputRate in lowest terms, approximated when L would exceed maxPhases. */
  static ratio(inputRate, outputRate, maxPhases) {
    const gcd = (a, b) => { while (b) { const t = a % b; a = b; b = t; } return a; };
    const g = gcd(outputRate, inputRate);
    let L = outputRate / g;
    let M = inputRate / g;
    if (L > maxPhases) {                                 // an unusual rate: a close ratio is inaudible
      L = maxPhases;
      M = Math.round(maxPhases * inputRate / outputRate);
      const h = gcd(L, M);
      L /= h;
      M /= h;
    }
    return { L, M };
  }

  static besselI0(x) {
    let sum = 1;
    let term = 1;
    const q = (x * x) / 4;
    for (let k = 1; k < 64; k++) {
      term *= q / (k * k);
      sum += term;
      if (term < sum * 1e-12) {
        break;
      }
    }
    return sum;
  }

  /** Feeds input samples; returns the output samples they complete (a new Float32Array). */
  process(input) {
    if (this.passthrough) {
      return Float32Array.from(input);
    }
    if (this.length + input.length > this.buffer.length) {
      const grown = new Float32Array(Math.max(this.buffer.length * 2, this.length + input.length));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(input, this.length);
    this.length += input.length;

    const buffer = this.buffer;
    const table = this.table;
    const taps = this.taps;
    const half = this.half;
    const L = this.L;
    const M = this.M;
    const capacity = Math.ceil((input.length + 2) * L / M) + 1;
    const out = new Float32Array(capacity);
    let n = 0;
    let base = this.base;
    let phase = this.phase;
    while (base + half < this.length && n < capacity) {
      const start = base - half + 1;
      const offset = phase * taps;
      let acc = 0;
      for (let j = 0; j < taps; j++) {
        acc += buffer[start + j] * table[offset + j];
      }
      out[n++] = acc;
      phase += M;
      if (phase >= L) {
        base += (phase / L) | 0;
        phase %= L;
      }
    }
    // Keep only the history the next outputs need.
    const drop = base - half + 1;
    if (drop > 0) {
      buffer.copyWithin(0, drop, this.length);
      this.length -= drop;
      base -= drop;
    }
    this.base = base;
    this.phase = phase;
    return out.subarray(0, n);
  }
}

globalThis.ParleyResampler = ParleyResampler;

if (typeof registerProcessor === 'function') {
  /**
   * Posts {type: 'frame', pcm: ArrayBuffer (PCM16 LE), rms, peak, clipped} every frameMs of output,
   * and answers {type: 'flush'} with the last, partial frame then {type: 'flushed'}.
   */
  class ParleyCaptureProcessor extends AudioWorkletProcessor {
    constructor(options) {
      super();
      const settings = (options && options.processorOptions) || {};
      this.outputRate = settings.outputRate || 24000;
      this.frameSamples = Math.round(this.outputRate * (settings.frameMs || 40) / 1000);
      this.minSamples = Math.round(this.outputRate * 0.01);   // Parley takes frames of 10 ms or more
      this.resampler = new ParleyResampler(sampleRate, this.outputRate);
      this.frame = new Int16Array(this.frameSamples);
      this.filled = 0;
      this.sumSquares = 0;
      this.peak = 0;
      this.clipped = 0;
      this.running = true;
      this.port.onmessage = (event) => {
        const type = event.data && event.data.type;
        if (type === 'flush') {
          this.post(true);
          this.port.postMessage({ type: 'flushed' });
        } else if (type === 'stop') {
          this.running = false;
        }
      };
      this.port.postMessage({
        type: 'ready', inputRate: sampleRate, outputRate: this.outputRate,
        phases: this.resampler.L, step: this.resampler.M, taps: this.resampler.taps,
        frameSamples: this.frameSamples,
      });
    }

    process(inputs) {
      if (!this.running) {
        return false;
      }
      const input = inputs[0];
      if (!input || input.length === 0 || !input[0]) {
        return true;                                     // nothing connected (yet)
      }
      const channel = input[0];                          // the node mixes down to mono
      for (let i = 0; i < channel.length; i++) {
        const a = Math.abs(channel[i]);
        if (a >= 0.999) {
          this.clipped++;
        }
      }
      const out = this.resampler.process(channel);
      for (let i = 0; i < out.length; i++) {
        let s = out[i];
        const a = Math.abs(s);
        this.sumSquares += s * s;
        if (a > this.peak) {
          this.peak = a;
        }
        s = s < -1 ? -1 : s > 1 ? 1 : s;
        this.frame[this.filled++] = Math.round(s < 0 ? s * 32768 : s * 32767);
        if (this.filled === this.frameSamples) {
          this.post(false);
        }
      }
      return true;
    }

    post(last) {
      if (this.filled === 0) {
        return;
      }
      let samples = this.filled;
      if (last && samples < this.minSamples) {
        samples = this.minSamples;                       // pad the last frame with silence
      }
      const pcm = new Int16Array(samples);
      pcm.set(this.frame.subarray(0, this.filled));
      const rms = Math.sqrt(this.sumSquares / this.filled);
      this.port.postMessage({ type: 'frame', pcm: pcm.buffer, rms, peak: this.peak, clipped: this.clipped },
        [pcm.buffer]);
      this.filled = 0;
      this.sumSquares = 0;
      this.peak = 0;
      this.clipped = 0;
    }
  }

  registerProcessor('parley-capture', ParleyCaptureProcessor);
}
