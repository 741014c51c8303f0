"""The fleetstage hub: the Kubernetes-shaped HTTP API and the runners that put services in one process."""
