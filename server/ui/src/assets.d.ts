/** Stylesheets are imported for their side effect: the bundler emits them as the CSS asset. */
declare module "*.css" {}
