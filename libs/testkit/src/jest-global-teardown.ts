import { tearDownTestDatabaseServer } from './test-cluster';

export default async function globalTeardown(): Promise<void> {
  await tearDownTestDatabaseServer();
}
