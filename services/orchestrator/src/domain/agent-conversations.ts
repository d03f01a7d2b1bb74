import type { ConversationDetail, ConversationMessage, ConversationSummary } from '@webchat/contracts';
import { AppError } from '@webchat/errors';
import type { AgentRecord, AgentRepository } from './agent-store';
import type { InboxConversation, InboxCursor, InboxMessage, InboxRepository, ConversationStatus } from './inbox-store';
import { HISTORY_LIMIT } from './web-channels';

export interface AgentConversationDeps {
  agents: Pick<AgentRepository, 'findAgentByKey'>;
  inbox: InboxRepository;
  /** Requests per agent key and window, counted per replica. */
  rateLimit: { requests: number; windowSeconds: number };
  now?: () => number;
}

const conversationNotFound = () => new AppError('conversation_not_found', 'No conversation with this SID belongs to this account');

/** Unknown, removed and malformed keys get the same answer. */
export async function authenticateAgent(deps: AgentConversationDeps, key: string | undefined): Promise<AgentRecord> {
  const agent = key ? await deps.agents.findAgentByKey(key) : null;
  if (!agent) {
    throw new AppError('agent_key_invalid', 'Send a valid agent key as "Authorization: Bearer wk_..."', {
      headers: { 'WWW-Authenticate': 'Bearer realm="webchat-agents"' },
    });
  }
  return agent;
}

/** A fixed window per agent: a runaway bot or script is stopped before it floods conversations. */
export function agentRateLimiter(deps: Pick<AgentConversationDeps, 'rateLimit' | 'now'>) {
  const windows = new Map<string, { startedAt: number; count: number }>();
  const windowMs = deps.rateLimit.windowSeconds * 1000;
  return (agentSid: string): void => {
    const now = (deps.now ?? Date.now)();
    let window = windows.get(agentSid);
    if (!window || now - window.startedAt >= windowMs) {
      if (windows.size > 10_000) windows.clear();
      window = { startedAt: now, count: 0 };
      windows.set(agentSid, window);
    }
    window.count += 1;
    if (window.count > deps.rateLimit.requests) {
      const retry = Math.max(1, Math.ceil((window.startedAt + windowMs - now) / 1000));
      throw new AppError('rate_limited', `An agent key may make ${deps.rateLimit.requests} requests every ${deps.rateLimit.windowSeconds} s; try again in ${retry} s`, {
        headers: { 'Retry-After': String(retry) },
      });
    }
  };
}

const toMessage = (message: InboxMessage): ConversationMessage => ({
  messageSid: message.messageSid,
  author: message.author,
  authorName: message.authorName,
  agentSid: message.agentSid,
  body: message.body,
  createdAt: message.createdAt.toISOString(),
});

const toSummary = (conversation: InboxConversation): ConversationSummary => ({
  conversationSid: conversation.conversationSid,
  status: conversation.status,
  identity: conversation.identity,
  verifiedGuest: conversation.verifiedGuest,
  customerFriendlyName: conversation.customerFriendlyName,
  preEngagementData: conversation.preEngagementData,
  createdAt: conversation.createdAt.toISOString(),
  closedAt: conversation.closedAt?.toISOString() ?? null,
  lastActivityAt: conversation.lastActivityAt.toISOString(),
  unreadCount: conversation.unreadCount,
  lastMessage: conversation.lastMessage ? toMessage(conversation.lastMessage) : null,
});

/** Opaque to clients: base64url of the last row's activity time (microseconds kept by Postgres, so ISO with µs) and SID. */
export const encodeCursor = (cursor: InboxCursor): string => Buffer.from(JSON.stringify([cursor.lastActivityAt, cursor.conversationSid])).toString('base64url');

export function decodeCursor(cursor: string): InboxCursor {
  try {
    const [lastActivityAt, conversationSid] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof lastActivityAt === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(lastActivityAt) && typeof conversationSid === 'string' && /^CH[0-9a-f]{32}$/.test(conversationSid)) {
      return { lastActivityAt, conversationSid };
    }
  } catch {
    // falls through to the problem below
  }
  throw new AppError('invalid_request', 'The cursor is not one this API gave out: pass nextCursor unchanged', {
    errors: [{ field: 'cursor', message: 'must be a nextCursor value' }],
  });
}

export async function listConversations(
  deps: AgentConversationDeps,
  agent: AgentRecord,
  query: { status?: ConversationStatus | undefined; limit: number; cursor?: string | undefined },
): Promise<{ conversations: ConversationSummary[]; nextCursor: string | null }> {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  // One extra row says whether there is a next page.
  const rows = await deps.inbox.listConversations(agent.accountSid, { ...(query.status ? { status: query.status } : {}), limit: query.limit + 1, ...(after ? { after } : {}) });
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  const nextCursor = rows.length > query.limit && last ? encodeCursor({ lastActivityAt: last.lastActivityExact, conversationSid: last.conversationSid }) : null;
  return { conversations: page.map(toSummary), nextCursor };
}

export async function getConversation(deps: AgentConversationDeps, agent: AgentRecord, conversationSid: string): Promise<ConversationDetail> {
  const found = await deps.inbox.readConversation(agent.accountSid, conversationSid, HISTORY_LIMIT);
  if (!found) throw conversationNotFound();
  return { ...toSummary(found.conversation), messages: found.messages.map(toMessage) };
}

export async function postAgentMessage(deps: AgentConversationDeps, agent: AgentRecord, conversationSid: string, body: string): Promise<ConversationMessage> {
  const result = await deps.inbox.addAgentMessage(agent, conversationSid, body);
  if (result.outcome === 'not_found') throw conversationNotFound();
  if (result.outcome !== 'stored') throw new AppError('conversation_closed', 'This conversation is closed; the guest can start a new one from the widget');
  return toMessage(result.message);
}

export async function closeConversation(deps: AgentConversationDeps, agent: AgentRecord, conversationSid: string): Promise<ConversationSummary> {
  const result = await deps.inbox.closeConversation(agent, conversationSid);
  if (result.outcome === 'not_found') throw conversationNotFound();
  return toSummary(result.conversation);
}
