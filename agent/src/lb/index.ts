/** Load balancers: HAProxy in each LB container, configured from its service's lbConfig. */
export {
  createLoadBalancerController,
  type LoadBalancerController,
  type LoadBalancerControllerOptions,
  type LoadBalancerStatus,
  lbLabel,
} from "./controller.ts";
