/** Agents (people and bots with wk_ keys) as the domain reads them; data-access implements the store. */

export type AgentKind = 'agent' | 'bot';

export interface AgentRecord {
  agentSid: string;
  accountSid: string;
  friendlyName: string;
  kind: AgentKind;
  keyPrefix: string;
  createdAt: Date;
}

export interface AgentRepository {
  /** The key is in the result and nowhere else. */
  addAgent(input: { accountSid: string; friendlyName: string; kind: AgentKind; key?: string }): Promise<AgentRecord & { key: string }>;
  listAgents(accountSid: string): Promise<AgentRecord[]>;
  /** Deletes the agent, which revokes its key; its messages keep its name. */
  removeAgent(agentSid: string): Promise<AgentRecord>;
  /** null for an unknown or removed key. */
  findAgentByKey(key: string): Promise<AgentRecord | null>;
}
