import { z } from 'zod';
import { DeploymentKey } from './common';
import {
  BUILT_IN_FIELD_NAMES,
  contrastWithWhite,
  FIELD_MAX_LENGTH,
  FIELD_TEXT_KEY,
  FIELD_TYPES,
  MAX_FIELDS,
  MIN_BRAND_CONTRAST,
  WIDGET_TEXT_KEYS,
  type PreEngagementField,
} from './widget-fields';

export * from './widget-fields';

export const WEBCHAT_CONFIGURATION_PATH = '/v2/Webchat/Configuration';
/** The public routes' OpenAPI description, served through Starship (internal and operational routes left out). */
export const PUBLIC_OPENAPI_PATH = '/v2/openapi.json';
/** Seconds the browser and Starship may reuse a configuration: a change shows within a minute. */
export const WEBCHAT_CONFIGURATION_MAX_AGE = 60;

const Text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((value) => !/[\u0000-\u001f\u007f]/.test(value), { message: 'must not contain control characters' });

export const BrandColor = z
  .string()
  .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1f4fd1')
  .transform((value) => value.toLowerCase())
  .refine((value) => contrastWithWhite(value) >= MIN_BRAND_CONTRAST, {
    message: `is too light: white text on it must have a contrast of at least ${MIN_BRAND_CONTRAST}:1 (WCAG AA); pick a darker shade`,
  });

export const LauncherPosition = z.enum(['left', 'right']);

/** A language tag the widget matches against navigator.languages: `es`, `pt-BR`. */
export const LanguageTag = z.string().regex(/^[a-z]{2,3}(-[A-Z][A-Za-z]{1,3})?$/, 'must be a language tag like es or pt-BR');

const TEXT_KEYS: ReadonlySet<string> = new Set(WIDGET_TEXT_KEYS);
/** The widget's texts by key (WIDGET_TEXT_KEYS), and `field.<name>` for a field's label in that language. */
export const WidgetTextOverrides = z.record(
  z.string().refine((key) => TEXT_KEYS.has(key) || FIELD_TEXT_KEY.test(key), {
    message: 'is not a widget text key (see WIDGET_TEXT_KEYS in libs/contracts/src/widget-fields.ts) nor field.<name>',
  }),
  Text(500),
);

export const PreEngagementFieldSchema = z
  .strictObject({
    name: z.string().regex(/^[a-z][A-Za-z0-9_]{0,39}$/, 'must start with a lower-case letter and use letters, digits and _ (at most 40)'),
    type: z.enum(FIELD_TYPES),
    label: Text(120).optional(),
    required: z.boolean().default(false),
    maxLength: z.number().int().min(1).max(FIELD_MAX_LENGTH).default(256),
    options: z.array(Text(100)).min(1).max(50).optional(),
  })
  .superRefine((field, ctx) => {
    const builtIn = (BUILT_IN_FIELD_NAMES as readonly string[]).includes(field.name);
    if (!builtIn && field.label === undefined) ctx.addIssue({ code: 'custom', path: ['label'], message: `custom field "${field.name}" needs a label` });
    if (field.type === 'select' && field.options === undefined) ctx.addIssue({ code: 'custom', path: ['options'], message: 'a select field needs options' });
    if (field.type !== 'select' && field.options !== undefined) ctx.addIssue({ code: 'custom', path: ['options'], message: 'only a select field has options' });
    if (field.name === 'email' && field.type !== 'email') ctx.addIssue({ code: 'custom', path: ['type'], message: 'the email field must have type "email"' });
  });

export const PreEngagementFields = z
  .array(PreEngagementFieldSchema)
  .min(1)
  .max(MAX_FIELDS)
  .superRefine((fields, ctx) => {
    const seen = new Set<string>();
    fields.forEach((field, index) => {
      if (seen.has(field.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `field "${field.name}" appears twice` });
      seen.add(field.name);
    });
  });

/** What an operator sets for an account's widget (CLI flags or `config import`); every part optional. */
export const WidgetSettings = z.strictObject({
  brandColor: BrandColor.optional(),
  position: LauncherPosition.optional(),
  title: Text(80).optional(),
  subtitle: Text(160).optional(),
  fields: PreEngagementFields.optional(),
  texts: z.record(LanguageTag, WidgetTextOverrides).optional(),
});
export type WidgetSettings = z.output<typeof WidgetSettings>;

/** The file `config import` reads: the widget settings plus the welcome message (stored with the conversation). */
export const WidgetConfigFile = WidgetSettings.extend({ welcomeMessage: Text(1024).optional() });
export type WidgetConfigFile = z.output<typeof WidgetConfigFile>;

export const WebchatConfigurationQuery = z.strictObject({ deploymentKey: DeploymentKey });

/** What the widget loads before it shows anything. Absent settings are null: the widget's own defaults apply. */
export const WebchatConfiguration = z.strictObject({
  brandColor: z.string().nullable(),
  position: LauncherPosition,
  title: z.string().nullable(),
  subtitle: z.string().nullable(),
  welcomeMessage: z.string().nullable(),
  fields: z.array(
    z.strictObject({
      name: z.string(),
      type: z.enum(FIELD_TYPES),
      label: z.string().optional(),
      required: z.boolean(),
      maxLength: z.number().int(),
      options: z.array(z.string()).optional(),
    }),
  ),
  texts: z.record(z.string(), z.record(z.string(), z.string())),
});
export type WebchatConfiguration = z.infer<typeof WebchatConfiguration>;

/** The zod output and the zod-free type the widget uses are one shape: this fails to compile when they drift. */
export const toPreEngagementField = (field: z.output<typeof PreEngagementFieldSchema>): PreEngagementField => field;
