#!/usr/bin/env node
// The `mco` executable. A committed launcher (the build output it loads does
// not exist until `npm run build`, and npm links a workspace's bin at install time).
import '../dist/mco.js';
