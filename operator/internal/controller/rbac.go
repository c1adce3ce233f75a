package controller

// The operator's permissions, from which `make generate` (through
// hack/controller-gen.sh) writes the ClusterRole jumpgate-operator in
// operator/config/rbac/role.yaml. The leader election Role is written by
// hand beside it (operator/config/rbac/leader_election_role.yaml), since it
// is namespaced.
//
// The custom resources: read and watch them, write their finalizer and
// status. The operator never creates or deletes them.
//
// +kubebuilder:rbac:groups=jumpgate.dev,resources=jumpgroups;jumppolicies;sessionpolicies;jumpoints;jumpclientinstallers;protocoltunneljumps;publicportals;jumpclientsettings;consolesettings,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=jumpgate.dev,resources=jumpgroups/status;jumppolicies/status;sessionpolicies/status;jumpoints/status;jumpclientinstallers/status;protocoltunneljumps/status;publicportals/status;jumpclientsettings/status;consolesettings/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=jumpgate.dev,resources=jumpgroups/finalizers;jumppolicies/finalizers;sessionpolicies/finalizers;jumpoints/finalizers;jumpclientinstallers/finalizers;protocoltunneljumps/finalizers;publicportals/finalizers;jumpclientsettings/finalizers;consolesettings/finalizers,verbs=update
//
// What the kinds own: a JumpClientInstaller's Secret of key info and
// download commands; a Jumpoint's enrollment Secret and Deployment.
//
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
//
// A Jumpoint's pods, read (metadata only) to tell which enrolled nodes of a
// clustered jumpoint stand for pods that are gone and can be removed.
//
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;list;watch
//
// Events on the resources (events.k8s.io/v1, mgr.GetEventRecorder), and the
// core/v1 Events that leader election records.
//
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups="",resources=events,verbs=create;patch
