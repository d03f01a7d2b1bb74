#!/usr/bin/env node
'use strict';
// The `webchat-admin` bin: runs the TypeScript source through tsx (workspace packages have no build step).
require('tsx/cjs/api').register();
require('./webchat-admin.ts').main();
