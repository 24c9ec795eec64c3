// The table behind api_errors.h (nats-server 2.9.10's JetStream errors).
#include "jetstream/api_errors.h"

namespace ringnats::js {

namespace {
constexpr ErrInfo kErrors[] = {
    {400, 10040, "peer not a member"},  // ClusterPeerNotMember
    {400, 10019, "consumer expected to be ephemeral but detected a durable name set in subject"},  // ConsumerEphemeralWithDurableInSubject
    {400, 10022, "stream external delivery prefix {prefix} overlaps with stream subject {subject}"},  // StreamExternalDelPrefixOverlaps
    {400, 10002, "resource limits exceeded for account"},  // AccountResourcesExceeded
    {503, 10008, "JetStream system temporarily unavailable"},  // ClusterNotAvail
    {400, 10065, "subjects overlap with an existing stream"},  // StreamSubjectOverlap
    {400, 10071, "wrong last sequence: {seq}"},  // StreamWrongLastSequence
    {400, 10073, "template name in subject does not match request"},  // TemplateNameNotMatchSubject
    {400, 10005, "{err}"},  // ClusterNoPeers
    {400, 10020, "consumer expected to be ephemeral but a durable name was set in request"},  // ConsumerEphemeralWithDurableName
    {503, 10023, "insufficient resources"},  // InsufficientResources
    {400, 10030, "stream mirror must have max message size >= source"},  // MirrorMaxMessageSizeTooBig
    {500, 10067, "{err}"},  // StreamTemplateDelete
    {400, 10003, "bad request"},  // BadRequest
    {503, 10036, "not currently supported in clustered mode"},  // ClusterUnSupportFeature
    {404, 10014, "consumer not found"},  // ConsumerNotFound
    {400, 10046, "stream source must have max message size >= target"},  // SourceMaxMessageSizeTooBig
    {500, 10048, "{err}"},  // StreamAssignment
    {400, 10054, "message size exceeds maximum allowed"},  // StreamMessageExceedsMaximum
    {500, 10066, "{err}"},  // StreamTemplateCreate
    {400, 10025, "invalid JSON"},  // InvalidJSON
    {400, 10024, "stream external delivery prefix {prefix} must not contain wildcards"},  // StreamInvalidExternalDeliverySubj
    {500, 10062, "restore failed: {err}"},  // StreamRestore
    {503, 10004, "incomplete results"},  // ClusterIncomplete
    {503, 10035, "account not found"},  // NoAccount
    {500, 10041, "{err}"},  // RaftGeneral
    {500, 10042, "JetStream unable to subscribe to restore snapshot {subject}: {err}"},  // RestoreSubscribeFailed
    {500, 10050, "{err}"},  // StreamDelete
    {400, 10021, "stream external api prefix {prefix} must not overlap with {subject}"},  // StreamExternalApiOverlap
    {400, 10034, "stream mirrors can not contain subjects"},  // MirrorWithSubjects
    {503, 10076, "JetStream not enabled"},  // NotEnabled
    {503, 10039, "JetStream not enabled for account"},  // NotEnabledForAccount
    {400, 10043, "sequence {seq} not found"},  // SequenceNotFound
    {400, 10055, "stream mirror configuration can not be updated"},  // StreamMirrorNotUpdatable
    {503, 10063, "expected stream sequence does not match"},  // StreamSequenceNotMatch
    {400, 10070, "wrong last msg ID: {id}"},  // StreamWrongLastMsgID
    {500, 10072, "JetStream unable to open temp storage for restore"},  // TempStorageFailed
    {500, 10047, "insufficient storage resources available"},  // StorageResourcesExceeded
    {400, 10056, "stream name in subject does not match request"},  // StreamMismatch
    {400, 10060, "expected stream does not match"},  // StreamNotMatch
    {500, 10029, "{err}"},  // MirrorConsumerSetupFailed
    {400, 10038, "expected an empty request payload"},  // NotEmptyRequest
    {400, 10058, "stream name already in use with a different configuration"},  // StreamNameExist
    {400, 10011, "tags placement not supported for operation"},  // ClusterTags
    {400, 10026, "maximum consumers limit reached"},  // MaximumConsumersLimit
    {500, 10045, "{err}"},  // SourceConsumerSetupFailed
    {500, 10012, "{err}"},  // ConsumerCreate
    {400, 10016, "consumer expected to be durable but no durable name set in subject"},  // ConsumerDurableNameNotInSubject
    {500, 10053, "{err}"},  // StreamLimits
    {400, 10061, "Replicas configuration can not be updated"},  // StreamReplicasNotUpdatable
    {404, 10068, "template not found"},  // StreamTemplateNotFound
    {500, 10007, "JetStream cluster not assigned to this server"},  // ClusterNotAssigned
    {500, 10009, "JetStream cluster can not handle request"},  // ClusterNotLeader
    {400, 10013, "consumer name already in use"},  // ConsumerNameExist
    {400, 10031, "stream mirrors can not also contain other sources"},  // MirrorWithSources
    {404, 10059, "stream not found"},  // StreamNotFound
    {503, 10010, "JetStream clustering support required"},  // ClusterRequired
    {400, 10018, "consumer expected to be durable but a durable name was not set"},  // ConsumerDurableNameNotSet
    {400, 10027, "maximum number of streams reached"},  // MaximumStreamsLimit
    {400, 10032, "stream mirrors can not have both start seq and start time configured"},  // MirrorWithStartSeqAndTime
    {500, 10064, "snapshot failed: {err}"},  // StreamSnapshot
    {500, 10069, "{err}"},  // StreamUpdate
    {500, 10006, "JetStream not in clustered mode"},  // ClusterNotActive
    {400, 10017, "consumer name in subject does not match durable name in request"},  // ConsumerDurableNameNotMatchSubject
    {500, 10028, "insufficient memory resources available"},  // MemoryResourcesExceeded
    {400, 10033, "stream mirrors can not contain filtered subjects"},  // MirrorWithSubjectFilters
    {500, 10049, "{err}"},  // StreamCreate
    {400, 10044, "server is not a member of the cluster"},  // ClusterServerNotMember
    {404, 10037, "no message found"},  // NoMessageFound
    {400, 10015, "deliver subject not valid"},  // SnapshotDeliverSubjectInvalid
    {500, 10051, "{err}"},  // StreamGeneralErrorF
    {500, 10052, "{err}"},  // StreamInvalidConfigF
    {500, 10074, "replicas > 1 not supported in non-clustered mode"},  // StreamReplicasNotSupported
    {500, 10057, "{err}"},  // StreamMsgDeleteFailedF
    {503, 10075, "peer remap failed"},  // PeerRemap
    {503, 10077, "{err}"},  // StreamStoreFailedF
    {400, 10078, "consumer config required"},  // ConsumerConfigRequired
    {400, 10079, "consumer deliver subject has wildcards"},  // ConsumerDeliverToWildcards
    {400, 10080, "consumer in push mode can not set max waiting"},  // ConsumerPushMaxWaiting
    {400, 10081, "consumer deliver subject forms a cycle"},  // ConsumerDeliverCycle
    {400, 10082, "consumer requires ack policy for max ack pending"},  // ConsumerMaxPendingAckPolicyRequired
    {400, 10083, "consumer idle heartbeat needs to be >= 100ms"},  // ConsumerSmallHeartbeat
    {400, 10084, "consumer in pull mode requires ack policy"},  // ConsumerPullRequiresAck
    {400, 10085, "consumer in pull mode requires a durable name"},  // ConsumerPullNotDurable
    {400, 10086, "consumer in pull mode can not have rate limit set"},  // ConsumerPullWithRateLimit
    {400, 10087, "consumer max waiting needs to be positive"},  // ConsumerMaxWaitingNegative
    {400, 10088, "consumer idle heartbeat requires a push based consumer"},  // ConsumerHBRequiresPush
    {400, 10089, "consumer flow control requires a push based consumer"},  // ConsumerFCRequiresPush
    {400, 10090, "consumer direct requires a push based consumer"},  // ConsumerDirectRequiresPush
    {400, 10091, "consumer direct requires an ephemeral consumer"},  // ConsumerDirectRequiresEphemeral
    {400, 10092, "consumer direct on a mapped consumer"},  // ConsumerOnMapped
    {400, 10093, "consumer filter subject is not a valid subset of the interest subjects"},  // ConsumerFilterNotSubset
    {400, 10094, "{err}"},  // ConsumerInvalidPolicy
    {400, 10095, "failed to parse consumer sampling configuration: {err}"},  // ConsumerInvalidSampling
    {500, 10096, "stream not valid"},  // StreamInvalid
    {400, 10098, "workqueue stream requires explicit ack"},  // ConsumerWQRequiresExplicitAck
    {400, 10099, "multiple non-filtered consumers not allowed on workqueue stream"},  // ConsumerWQMultipleUnfiltered
    {400, 10100, "filtered consumer not unique on workqueue stream"},  // ConsumerWQConsumerNotUnique
    {400, 10101, "consumer must be deliver all on workqueue stream"},  // ConsumerWQConsumerNotDeliverAll
    {400, 10102, "consumer name is too long, maximum allowed is {max}"},  // ConsumerNameTooLong
    {400, 10103, "durable name can not contain '.', '*', '>'"},  // ConsumerBadDurableName
    {500, 10104, "error creating store for consumer: {err}"},  // ConsumerStoreFailed
    {400, 10105, "consumer already exists and is still active"},  // ConsumerExistingActive
    {400, 10106, "consumer replacement durable config not the same"},  // ConsumerReplacementWithDifferentName
    {400, 10107, "consumer description is too long, maximum allowed is {max}"},  // ConsumerDescriptionTooLong
    {400, 10097, "header size exceeds maximum allowed of 64k"},  // StreamHeaderExceedsMaximum
    {400, 10108, "consumer with flow control also needs heartbeats"},  // ConsumerWithFlowControlNeedsHeartbeats
    {400, 10109, "invalid operation on sealed stream"},  // StreamSealed
    {500, 10110, "{err}"},  // StreamPurgeFailedF
    {500, 10111, "{err}"},  // StreamRollupFailedF
    {400, 10112, "invalid push consumer deliver subject"},  // ConsumerInvalidDeliverSubject
    {400, 10113, "account requires a stream config to have max bytes set"},  // StreamMaxBytesRequired
    {400, 10114, "consumer max request batch needs to be > 0"},  // ConsumerMaxRequestBatchNegative
    {400, 10115, "consumer max request expires needs to be >= 1ms"},  // ConsumerMaxRequestExpiresToSmall
    {400, 10116, "max deliver is required to be > length of backoff values"},  // ConsumerMaxDeliverBackoff
    {500, 10117, "subject details would exceed maximum allowed"},  // StreamInfoMaxSubjects
    {500, 10118, "stream is offline"},  // StreamOffline
    {500, 10119, "consumer is offline"},  // ConsumerOffline
    {400, 10120, "no JetStream default or applicable tiered limit present"},  // NoLimits
    {400, 10121, "consumer max ack pending exceeds system limit of {limit}"},  // ConsumerMaxPendingAckExcess
    {400, 10122, "stream max bytes exceeds account limit max stream bytes"},  // StreamMaxStreamBytesExceeded
    {400, 10123, "can not move and scale a stream in a single update"},  // StreamMoveAndScale
    {400, 10124, "stream move already in progress: {msg}"},  // StreamMoveInProgressF
    {400, 10125, "consumer max request batch exceeds server limit of {limit}"},  // ConsumerMaxRequestBatchExceededF
    {400, 10126, "consumer config replica count exceeds parent stream"},  // ConsumerReplicasExceedsStream
    {400, 10127, "Consumer name can not contain path separators"},  // ConsumerNameContainsPathSeparators
    {400, 10128, "Stream name can not contain path separators"},  // StreamNameContainsPathSeparators
    {400, 10129, "stream move not in progress"},  // StreamMoveNotInProgress
    {400, 10130, "stream name already in use, cannot restore"},  // StreamNameExistRestoreFailed
    {400, 10131, "Consumer create request did not match filtered subject from create subject"},  // ConsumerCreateFilterSubjectMismatch
    {400, 10132, "Consumer Durable and Name have to be equal if both are provided"},  // ConsumerCreateDurableAndNameMismatch
    {400, 10133, "replicas count cannot be negative"},  // ReplicasCountCannotBeNegative
};
}  // namespace

const ErrInfo& err_info(Err e) { return kErrors[static_cast<size_t>(e)]; }

std::string err_description(Err e, std::initializer_list<std::pair<std::string_view, std::string_view>> args) {
  std::string_view d = err_info(e).description;
  std::string out;
  out.reserve(d.size() + 32);
  for (size_t i = 0; i < d.size();) {
    bool replaced = false;
    if (d[i] == '{') {
      for (const auto& [name, value] : args) {
        if (d.substr(i + 1, name.size()) == name && i + 1 + name.size() < d.size() && d[i + 1 + name.size()] == '}') {
          out.append(value);
          i += name.size() + 2;
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += d[i++];
  }
  return out;
}

}  // namespace ringnats::js
