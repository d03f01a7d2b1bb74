import { FINGERPRINT_HEADERS } from './constants';

/*
 * The security signals of DESIGN.md, "Fingerprint": three small JSON objects the orchestrator folds into
 * the token's fingerprint. They must be the same on every request from this browser (and after a reload),
 * so only stable facts go in: no clocks except the stored login timestamp.
 */

const VIDEO_TYPES: Record<string, string> = {
  h264: 'video/mp4; codecs="avc1.42E01E"',
  hevc: 'video/mp4; codecs="hvc1.1.6.L93.B0"',
  vp9: 'video/webm; codecs="vp9"',
  av1: 'video/mp4; codecs="av01.0.05M.08"',
};
const AUDIO_TYPES: Record<string, string> = {
  aac: 'audio/mp4; codecs="mp4a.40.2"',
  opus: 'audio/webm; codecs="opus"',
  vorbis: 'audio/ogg; codecs="vorbis"',
  flac: 'audio/flac',
};

let decoders: string | undefined;

/** What this browser can decode: `canPlayType` per codec, and which of them Media Source Extensions accept. */
function describeDecoders(): string {
  if (decoders !== undefined) return decoders;
  const out: Record<string, string | string[]> = {};
  const mse: string[] = [];
  const video = document.createElement('video');
  const audio = document.createElement('audio');
  const probe = (element: HTMLMediaElement, types: Record<string, string>) => {
    for (const [name, type] of Object.entries(types)) {
      out[name] = element.canPlayType(type) || 'no';
      try {
        if (typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(type)) mse.push(name);
      } catch {
        /* some browsers throw for odd types: "not supported" */
      }
    }
  };
  probe(video, VIDEO_TYPES);
  probe(audio, AUDIO_TYPES);
  out.mse = mse.sort();
  decoders = JSON.stringify(out);
  return decoders;
}

export function securityHeaders(loginTimestamp: number): Record<string, string> {
  return {
    [FINGERPRINT_HEADERS.userSettings]: JSON.stringify({
      language: navigator.language,
      cookieEnabled: navigator.cookieEnabled,
      timezoneOffset: new Date().getTimezoneOffset(),
    }),
    [FINGERPRINT_HEADERS.decoders]: describeDecoders(),
    [FINGERPRINT_HEADERS.webchatInfo]: JSON.stringify({ loginTimestamp }),
  };
}
