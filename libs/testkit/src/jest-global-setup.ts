import { setUpTestDatabaseServer } from './test-cluster';

export default async function globalSetup(): Promise<void> {
  await setUpTestDatabaseServer();
}
