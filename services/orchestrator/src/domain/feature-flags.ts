import type { LDClient } from '@launchdarkly/node-server-sdk';
import type { Logger } from '@webchat/logger';

export const WEBCHAT_SECURITY_FLAG = 'webchat-security';

export interface FeatureFlags {
  isWebchatSecurityOn(accountSid: string): Promise<boolean>;
  ready(): boolean;
  close(): Promise<void>;
}

/**
 * `webchat-security` per account context. When the SDK is not initialised or the evaluation errors, the
 * configured fallback applies (default on: the secure side), and the reason is logged.
 */
export class LaunchDarklyFlags implements FeatureFlags {
  constructor(
    private readonly client: LDClient,
    private readonly fallback: boolean,
    private readonly logger: Logger,
  ) {}

  ready(): boolean {
    return this.client.initialized();
  }

  async isWebchatSecurityOn(accountSid: string): Promise<boolean> {
    if (!this.client.initialized()) {
      this.logger.warn('feature flags not initialised; using fallback', { flag: WEBCHAT_SECURITY_FLAG, fallback: this.fallback });
      return this.fallback;
    }
    try {
      const detail = await this.client.boolVariationDetail(WEBCHAT_SECURITY_FLAG, { kind: 'account', key: accountSid }, this.fallback);
      if (detail.reason.kind === 'ERROR') {
        this.logger.warn('flag evaluation failed; using fallback', { flag: WEBCHAT_SECURITY_FLAG, reason: detail.reason.errorKind, fallback: this.fallback });
        return this.fallback;
      }
      return detail.value;
    } catch (err) {
      this.logger.warn('flag evaluation threw; using fallback', { flag: WEBCHAT_SECURITY_FLAG, err, fallback: this.fallback });
      return this.fallback;
    }
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
