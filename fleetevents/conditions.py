"""Status condition types, reasons and messages, exactly as Fleet (and the how-to) spells them."""

# Condition types
INITIALIZED = "Initialized"
PROGRESSING = "Progressing"
SUCCEEDED = "Succeeded"
STARTED = "Started"
WAIT_TIME_ELAPSED = "WaitTimeElapsed"
APPROVAL_REQUEST_CREATED = "ApprovalRequestCreated"
APPROVAL_REQUEST_APPROVED = "ApprovalRequestApproved"
APPROVED = "Approved"
APPROVAL_ACCEPTED = "ApprovalAccepted"

# Run reasons
UPDATE_RUN_INITIALIZED_SUCCESSFULLY = "UpdateRunInitializedSuccessfully"
UPDATE_RUN_INITIALIZED_FAILED = "UpdateRunInitializedFailed"
UPDATE_RUN_STARTED = "UpdateRunStarted"
UPDATE_RUN_WAITING = "UpdateRunWaiting"
UPDATE_RUN_STUCK = "UpdateRunStuck"
UPDATE_RUN_STOPPING = "UpdateRunStopping"
UPDATE_RUN_STOPPED = "UpdateRunStopped"
UPDATE_RUN_SUCCEEDED = "UpdateRunSucceeded"
UPDATE_RUN_FAILED = "UpdateRunFailed"
INITIALIZED_MESSAGE = "ClusterStagedUpdateRun initialized successfully"

# Stage reasons
STAGE_UPDATING_STARTED = "StageUpdatingStarted"
STAGE_UPDATING_WAITING = "StageUpdatingWaiting"
STAGE_UPDATING_SUCCEEDED = "StageUpdatingSucceeded"
STAGE_UPDATING_FAILED = "StageUpdatingFailed"
STAGE_UPDATING_SKIPPED_NO_CLUSTERS = "StageUpdatingSkippedNoClusters"
STAGE_UPDATING_STOPPING = "StageUpdatingStopping"
STAGE_UPDATING_STOPPED = "StageUpdatingStopped"

# Cluster reasons
CLUSTER_UPDATING_STARTED = "ClusterUpdatingStarted"
CLUSTER_UPDATING_SUCCEEDED = "ClusterUpdatingSucceeded"
CLUSTER_UPDATING_FAILED = "ClusterUpdatingFailed"

# Task reasons
AFTER_STAGE_TASK_WAIT_TIME_ELAPSED = "AfterStageTaskWaitTimeElapsed"
AFTER_STAGE_TASK_APPROVAL_REQUEST_CREATED = "AfterStageTaskApprovalRequestCreated"
AFTER_STAGE_TASK_APPROVAL_REQUEST_APPROVED = "AfterStageTaskApprovalRequestApproved"
BEFORE_STAGE_TASK_APPROVAL_REQUEST_CREATED = "BeforeStageTaskApprovalRequestCreated"
BEFORE_STAGE_TASK_APPROVAL_REQUEST_APPROVED = "BeforeStageTaskApprovalRequestApproved"

# Approval request reasons
APPROVAL_REQUEST_APPROVAL_ACCEPTED = "ApprovalRequestApprovalAccepted"
