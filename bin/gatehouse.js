#!/usr/bin/env node
// The package's bin: the TypeScript sources run as they are (Node's type stripping).
import '../src/main.ts';
