// k8s-validate.mjs - validate a DaemonSet, given as JSON on stdin, against
// the Kubernetes API's OpenAPI schema offline, with the schemas npm's
// kubernetes-models package compiles (ajv).  Prints "valid" and exits 0,
// or prints the first schema violation and exits 1.
import { DaemonSet } from "kubernetes-models/apps/v1";
import { readFileSync } from "node:fs";

const obj = JSON.parse(readFileSync(0, "utf8"));
try {
	new DaemonSet(obj).validate();
	console.log("valid");
} catch (e) {
	console.log(`invalid: ${e.message}`);
	process.exit(1);
}
