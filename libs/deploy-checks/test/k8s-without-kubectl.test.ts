/**
 * The whole Kubernetes validation again, as on a fresh CI machine (no kubectl, none installable): the
 * manifests rendered by the kustomize fallback, deploy/k8s-secrets.sh run against the kubectl create
 * stand-in. The support import must stay first: it sets the environment the suites below read at load.
 */
import './support/without-kubectl';
import { kubectlAvailable, useKubectl } from '../src/kustomize';
import './k8s.test';
import './network-policies.test';
import './k8s-secrets.test';

test('kubectl is out of reach here: the fallback renders and the configured kubectl does not run', () => {
  expect(useKubectl()).toBe(false);
  expect(kubectlAvailable()).toBe(false);
});
