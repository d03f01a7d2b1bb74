import {
  FINGERPRINT_HEADERS as CONTRACT_HEADERS,
  MESSAGE_MAX_BYTES as CONTRACT_MESSAGE_MAX_BYTES,
  WEB_CHANNELS_PATH,
  WEBCHAT_REFRESH_PATH,
  WEBCHAT_TOKEN_PATH,
} from '../../../libs/contracts/src';
import { FINGERPRINT_HEADERS, MESSAGE_MAX_BYTES, PATHS, storageKey } from '../src/constants';
import { messageProblem, validatePreEngagement } from '../src/form';
import { WebchatError, describeFailure } from '../src/api';

describe('the widget agrees with the shared contracts (it repeats them to stay free of zod)', () => {
  test('paths, fingerprint headers and the message limit are the contract values', () => {
    expect(PATHS).toMatchObject({ token: WEBCHAT_TOKEN_PATH, refresh: WEBCHAT_REFRESH_PATH, channels: WEB_CHANNELS_PATH });
    expect(FINGERPRINT_HEADERS).toEqual(CONTRACT_HEADERS);
    expect(MESSAGE_MAX_BYTES).toBe(CONTRACT_MESSAGE_MAX_BYTES);
  });

  test('one localStorage key per deployment key, named by its first characters only', () => {
    expect(storageKey('dk_abcdefghijKLMNOPQRSTUVWXYZ012345')).toBe('webchat-session:dk_abcdefghi');
  });
});

describe('pre-engagement form validation', () => {
  const valid = { name: 'Ada', email: 'ada@example.com', question: 'Where is my order?' };

  test('when everything is filled in, then there is nothing to say', () => {
    expect(validatePreEngagement(valid)).toEqual({});
  });

  test('when fields are empty or blank, then each says what to enter', () => {
    expect(validatePreEngagement({ name: ' ', email: '', question: '\n' })).toEqual({
      name: 'Enter your name.',
      email: 'Enter your email address.',
      question: 'Tell us how we can help.',
    });
  });

  test.each(['ada', 'ada@', 'ada@example', 'a da@example.com'])('when the email is %p, then it asks for an address like name@example.com', (email) => {
    expect(validatePreEngagement({ ...valid, email }).email).toContain('name@example.com');
  });

  test('when the name or the question is too long for the API, then it says so before sending', () => {
    expect(validatePreEngagement({ ...valid, name: 'n'.repeat(257) }).name).toContain('256');
    expect(validatePreEngagement({ ...valid, question: '€'.repeat(1366) }).question).toContain('too long');
  });
});

describe('message checks', () => {
  test('a message is limited in UTF-8 bytes, as the API counts it', () => {
    expect(messageProblem('a'.repeat(4096))).toBeUndefined();
    expect(messageProblem('a'.repeat(4097))).toContain('too long');
    expect(messageProblem('€'.repeat(1366))).toContain('too long');
    expect(messageProblem('   ')).toBe('Type a message first.');
  });
});

describe('plain words for a rate limit', () => {
  test('when the service says how long to wait, then the guest is told the seconds; otherwise a moment', () => {
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429, 42))).toBe('That was too many in a short time. Please wait 42 seconds and try again.');
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429, 1))).toBe('That was too many in a short time. Please wait 1 second and try again.');
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429))).toBe('There have been too many attempts. Please wait a moment and try again.');
  });
});
