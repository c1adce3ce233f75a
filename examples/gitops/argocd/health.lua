-- Argo CD health of a jumpgate.dev custom resource, from its status:
-- Healthy when Ready=True for the current generation; Progressing while the
-- operator has not caught up with the spec, while a reference is not Ready
-- yet, while a Jumpoint's nodes start, and while it is being deleted;
-- Degraded when the appliance refuses the object or cannot be reached
-- (ApplianceError, which the operator retries), when the appliance holds an
-- object with the same key that the operator did not create (NotOwned) and
-- when a Jump Client installer has expired (Expired). The message is the
-- operator's.
hs = {}
if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Jumpgate operator to reconcile the object"
  return hs
end
if obj.metadata.generation ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < obj.metadata.generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Jumpgate operator to reconcile generation " .. obj.metadata.generation
  return hs
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    hs.message = c.message
    if c.status == "True" then
      hs.status = "Healthy"
    elseif c.reason == "WaitingForReference" or c.reason == "DeploymentProgressing" or c.reason == "Deleting" then
      hs.status = "Progressing"
    else
      hs.status = "Degraded"
    end
    return hs
  end
end
hs.status = "Progressing"
hs.message = "Waiting for the Ready condition"
return hs
