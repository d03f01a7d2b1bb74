import {
  FINGERPRINT_HEADERS as CONTRACT_HEADERS,
  MESSAGE_MAX_BYTES as CONTRACT_MESSAGE_MAX_BYTES,
  WEB_CHANNELS_PATH,
  WEBCHAT_REFRESH_PATH,
  WEBCHAT_TOKEN_PATH,
} from '@webchat/contracts';
import { FINGERPRINT_HEADERS, MESSAGE_MAX_BYTES, PATHS, storageKey } from '../src/constants';
import { DEFAULT_FIELDS, type PreEngagementField, WEBCHAT_CONFIGURATION_PATH } from '@webchat/contracts';
import { messageProblem, validatePreEngagement } from '../src/form';
import { WebchatError, describeFailure } from '../src/api';
import { BUILT_IN, createTexts, pickLanguage } from '../src/i18n';

describe('the widget agrees with the shared contracts (it repeats them to stay free of zod)', () => {
  test('paths, fingerprint headers and the message limit are the contract values', () => {
    expect(PATHS).toMatchObject({ token: WEBCHAT_TOKEN_PATH, refresh: WEBCHAT_REFRESH_PATH, channels: WEB_CHANNELS_PATH, configuration: WEBCHAT_CONFIGURATION_PATH });
    expect(FINGERPRINT_HEADERS).toEqual(CONTRACT_HEADERS);
    expect(MESSAGE_MAX_BYTES).toBe(CONTRACT_MESSAGE_MAX_BYTES);
  });

  test('one localStorage key per deployment key, named by its first characters only', () => {
    expect(storageKey('dk_abcdefghijKLMNOPQRSTUVWXYZ012345')).toBe('webchat-session:dk_abcdefghi');
  });
});

const english = createTexts('en', {});

describe('pre-engagement form validation (the rules the server applies too)', () => {
  const valid = { name: 'Ada', email: 'ada@example.com', question: 'Where is my order?' };
  const check = (values: Record<string, string>, fields: readonly PreEngagementField[] = DEFAULT_FIELDS) => validatePreEngagement(fields, values, english);

  test('when everything is filled in, then there is nothing to say', () => {
    expect(check(valid)).toEqual({});
  });

  test('when fields are empty or blank, then each says what to enter', () => {
    expect(check({ name: ' ', email: '', question: '\n' })).toEqual({
      name: 'Enter your name.',
      email: 'Enter your email address.',
      question: 'Tell us how we can help.',
    });
  });

  test.each(['ada', 'ada@', 'ada@example', 'a da@example.com'])('when the email is %p, then it asks for an address like name@example.com', (email) => {
    expect(check({ ...valid, email }).email).toContain('name@example.com');
  });

  test('when the name or the question is too long for the API, then it says so before sending', () => {
    expect(check({ ...valid, name: 'n'.repeat(257) }).name).toContain('256');
    expect(check({ ...valid, question: '€'.repeat(1366) }).question).toContain('too long');
  });

  test("an account's custom fields: a required select must hold one of its options, an optional text its length", () => {
    const fields: PreEngagementField[] = [
      { name: 'topic', type: 'select', label: 'Topic', required: true, maxLength: 40, options: ['Billing', 'Orders'] },
      { name: 'order', type: 'text', label: 'Order number', required: false, maxLength: 8 },
    ];
    expect(check({ topic: '', order: '' }, fields)).toEqual({ topic: 'Fill in “Topic”.' });
    expect(check({ topic: 'Refunds', order: '123456789' }, fields)).toEqual({
      topic: 'Choose one of the options for “Topic”.',
      order: '“Order number” is too long: at most 8 characters.',
    });
    expect(check({ topic: 'Orders', order: '' }, fields)).toEqual({});
  });
});

describe('message checks', () => {
  test('a message is limited in UTF-8 bytes, as the API counts it', () => {
    expect(messageProblem('a'.repeat(4096), english)).toBeUndefined();
    expect(messageProblem('a'.repeat(4097), english)).toContain('too long');
    expect(messageProblem('€'.repeat(1366), english)).toContain('too long');
    expect(messageProblem('   ', english)).toBe('Type a message first.');
  });
});

describe('plain words for a rate limit', () => {
  test('when the service says how long to wait, then the guest is told the seconds; otherwise a moment', () => {
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429, 42), english)).toBe('That was too many in a short time. Please wait 42 seconds and try again.');
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429, 1), english)).toBe('That was too many in a short time. Please wait 1 second and try again.');
    expect(describeFailure(new WebchatError('busy', 'rate_limited', 429), english)).toBe('There have been too many attempts. Please wait a moment and try again.');
  });
});

describe('the guest’s language', () => {
  test('the first of the browser’s languages the widget speaks wins; a region falls back to its language; English otherwise', () => {
    expect(pickLanguage(['de-AT', 'en'], {})).toBe('de');
    expect(pickLanguage(['ja', 'pt-BR', 'en'], {})).toBe('pt');
    expect(pickLanguage(['ja', 'ko'], {})).toBe('en');
  });

  test('a language only the account provides texts for is chosen, and a right-to-left one lays out right to left', () => {
    expect(pickLanguage(['ar-EG', 'en'], { ar: { title: 'تحدث معنا' } })).toBe('ar');
    const arabic = createTexts('ar', { ar: { title: 'تحدث معنا' } });
    expect(arabic.dir).toBe('rtl');
    expect(arabic.t('title')).toBe('تحدث معنا');
    // Texts the account did not translate stay readable (English) rather than empty.
    expect(arabic.t('startChat')).toBe('Start chat');
  });

  test("the account's overrides sit on top of the built-in texts, per language", () => {
    const spanish = createTexts('es', { es: { startChat: 'Hablar ahora' } }, { title: 'Acme' });
    expect(spanish.t('startChat')).toBe('Hablar ahora');
    expect(spanish.t('title')).toBe('Acme');
    expect(spanish.t('nameLabel')).toBe('Nombre');
    expect(spanish.dir).toBe('ltr');
  });

  test("a custom field's label can be given per language (field.<name>), falling back to the field's own label", () => {
    const field: PreEngagementField = { name: 'topic', type: 'select', label: 'Topic', required: true, maxLength: 40, options: ['A'] };
    const german = createTexts('de', { de: { 'field.topic': 'Thema' } });
    expect(validatePreEngagement([field], { topic: '' }, german)).toEqual({ topic: 'Füllen Sie „Thema“ aus.' });
    expect(validatePreEngagement([field], { topic: '' }, createTexts('fr', {}))).toEqual({ topic: 'Renseignez « Topic ».' });
  });

  test('every built-in language has every text, and each placeholder its English text has', () => {
    for (const [lang, strings] of Object.entries(BUILT_IN)) {
      for (const [key, text] of Object.entries(BUILT_IN.en ?? {})) {
        const placeholders = (value: string) => (value.match(/\{\w+\}/g) ?? []).sort();
        expect({ lang, key, placeholders: placeholders(strings[key as keyof typeof strings] ?? '') }).toEqual({ lang, key, placeholders: placeholders(text) });
      }
    }
  });
});
