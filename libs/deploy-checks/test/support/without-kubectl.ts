/**
 * Imported first by k8s-without-kubectl.test.ts: makes this process behave as a CI machine without
 * kubectl. Renders go to the fallback, and KUBECTL points nowhere, so any direct kubectl call that
 * slipped past the fallback fails instead of quietly using the kubectl installed here.
 */
process.env.DEPLOY_CHECKS_NO_KUBECTL = '1';
process.env.KUBECTL = '/nonexistent/kubectl';
