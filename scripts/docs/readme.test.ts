import fs from 'node:fs';
import path from 'node:path';
import { withConfigReference } from './config-reference';

const repo = path.resolve(__dirname, '../..');
const readme = fs.readFileSync(path.join(repo, 'README.md'), 'utf8');

describe('the README stays true', () => {
  test('its configuration reference lists exactly what the services read at start-up', () => {
    expect(readme).toBe(withConfigReference(readme));
  });

  test('its test command is the one CI runs, and its run command exists', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(fs.readFileSync(path.join(repo, '.ci/run'), 'utf8')).toMatch(/pnpm test\s*$/m);
    expect(readme).toContain('`pnpm test`');
    expect(readme).toContain('`npm start`');
    expect(pkg.scripts.test).toBeDefined();
    expect(pkg.scripts.start).toBeDefined();
  });
});
