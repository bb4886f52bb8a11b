#!/usr/bin/env node
// Validate a Teams app manifest against Microsoft's official JSON schema, offline.
//
//   node appmanifest/validator/validate.js path/to/manifest.json
//
// The schema is the copy bundled in the pinned npm package @microsoft/app-manifest
// (build/json-schemas/teams/vX.Y/MicrosoftTeams.schema.json), chosen from the manifest's "$schema"
// URL. We load that file ourselves and hand it to the package's own validator,
// AppManifestUtils.validateAgainstSchema(manifest, schema) (AJV with the draft-04 meta-schema, the
// "uri", "email" and "regex" formats and allErrors), so nothing is ever fetched: a manifest whose
// "$schema" names a version the package does not bundle is an error, not a download.
//
// Prints one JSON object on stdout: {"valid", "file", "schema", "schemaFile", "manifestVersion",
// "errors"} where "errors" is the package's list of messages ("<instancePath> <message>. Details: ...").
// Exit status: 0 valid, 1 invalid, 2 the file or its "$schema" could not be used.
"use strict";

const fs = require("fs");
const path = require("path");

// Belt and braces: the package falls back to fetch() for schemas it does not bundle. We never let
// it get that far, and if it ever tried, it fails here instead of going to the network.
globalThis.fetch = async (url) => {
  throw new Error(`network access is disabled in the offline validator (tried ${url})`);
};

const { AppManifestUtils } = require("@microsoft/app-manifest");

const PACKAGE_DIR = path.dirname(require.resolve("@microsoft/app-manifest/package.json"));
const SCHEMA_URL =
  /^https:\/\/developer\.microsoft\.com\/(?:[a-z]{2}(?:-[a-z]{2})?\/)?json-schemas\/teams\/(v[0-9]+\.[0-9]+|vDevPreview)\/MicrosoftTeams\.schema\.json$/i;

function finish(status, result) {
  process.stdout.write(JSON.stringify(result, null, 2) + "\n");
  process.exit(status);
}

function bundledSchemaPath(schemaUrl) {
  const match = typeof schemaUrl === "string" ? SCHEMA_URL.exec(schemaUrl) : null;
  if (!match) return null;
  const file = path.join(PACKAGE_DIR, "build", "json-schemas", "teams", match[1], "MicrosoftTeams.schema.json");
  return fs.existsSync(file) ? file : null;
}

async function main() {
  const file = process.argv[2];
  const result = {
    valid: false,
    file: file ?? null,
    schema: null,
    schemaFile: null,
    manifestVersion: null,
    errors: [],
  };
  if (!file || process.argv.length > 3) {
    result.errors.push("usage: node validate.js <manifest.json>");
    finish(2, result);
  }

  let manifest;
  try {
    const text = fs.readFileSync(file, "utf8").replace(/^\uFEFF/, "");
    manifest = JSON.parse(text);
  } catch (err) {
    result.errors.push(`cannot read ${file} as JSON: ${err.message}`);
    finish(2, result);
  }
  if (manifest === null || typeof manifest !== "object" || Array.isArray(manifest)) {
    result.errors.push("the manifest must be a JSON object");
    finish(1, result);
  }

  result.schema = manifest.$schema ?? null;
  result.manifestVersion = manifest.manifestVersion ?? null;
  const schemaFile = bundledSchemaPath(manifest.$schema);
  if (!schemaFile) {
    result.errors.push(
      `"$schema" must be Microsoft's Teams manifest schema URL for a version bundled in ` +
        `@microsoft/app-manifest (offline validation; nothing is downloaded); got ${JSON.stringify(manifest.$schema)}`,
    );
    finish(2, result);
  }
  result.schemaFile = path.relative(PACKAGE_DIR, schemaFile).split(path.sep).join("/");

  // Same clean-up the package applies to schemas it loads itself (a few patterns use \a and \v).
  const raw = fs.readFileSync(schemaFile, "utf8").replace(/\\a/g, "\\u0007").replace(/\\v/g, "\\u000b");
  const schema = JSON.parse(raw);
  result.errors = await AppManifestUtils.validateAgainstSchema(manifest, schema);
  result.valid = result.errors.length === 0;
  finish(result.valid ? 0 : 1, result);
}

main().catch((err) => {
  finish(2, { valid: false, file: process.argv[2] ?? null, errors: [`validator failed: ${err.message}`] });
});
