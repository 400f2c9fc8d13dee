"""Server reflection under both names clients ask for: grpc.reflection.v1 and grpc.reflection.v1alpha.

grpcio-reflection ships only v1alpha (`grpc_reflection.v1alpha`; v1 for Python is grpc/grpc issue
38576). The two protocols are the same on the wire: grpc/reflection/v1/reflection.proto is the
v1alpha file under another package, with the same messages, field numbers and types. So the v1
service here is the very same servicer, registered a second time under the v1 name with the v1alpha
message classes as its (de)serializers, and the v1 file descriptor (the v1alpha one with its package
renamed) is added to the default pool, so that reflection can describe the v1 service too.
"""

from __future__ import annotations

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from grpc_reflection.v1alpha import reflection, reflection_pb2, reflection_pb2_grpc

V1ALPHA_SERVICE_NAME = reflection.SERVICE_NAME  # grpc.reflection.v1alpha.ServerReflection
V1_PACKAGE = "grpc.reflection.v1"
V1_FILE = "grpc/reflection/v1/reflection.proto"
V1_SERVICE_NAME = f"{V1_PACKAGE}.ServerReflection"
METHOD = "ServerReflectionInfo"


def _v1_file() -> descriptor_pb2.FileDescriptorProto:
    """grpc/reflection/v1/reflection.proto as grpc publishes it, built from the v1alpha descriptor."""
    old_package = reflection_pb2.DESCRIPTOR.package
    proto = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(proto)
    proto.name, proto.package = V1_FILE, V1_PACKAGE
    proto.options.Clear()
    proto.options.go_package = "google.golang.org/grpc/reflection/grpc_reflection_v1"
    proto.options.java_multiple_files = True
    proto.options.java_package = "io.grpc.reflection.v1"
    proto.options.java_outer_classname = "ServerReflectionProto"

    def renamed(type_name: str) -> str:
        prefix = f".{old_package}."
        return f".{V1_PACKAGE}.{type_name[len(prefix):]}" if type_name.startswith(prefix) else type_name

    for message in proto.message_type:
        for field in message.field:
            if field.type_name:
                field.type_name = renamed(field.type_name)
    for service in proto.service:
        for method in service.method:
            method.input_type, method.output_type = renamed(method.input_type), renamed(method.output_type)
    return proto


def v1_file_descriptor():
    """The v1 file in the default pool (added once; kept when something else put it there first)."""
    pool = descriptor_pool.Default()
    try:
        return pool.FindFileByName(V1_FILE)
    except KeyError:
        pool.Add(_v1_file())
        return pool.FindFileByName(V1_FILE)


def v1_message_classes():
    """(ServerReflectionRequest, ServerReflectionResponse) of grpc.reflection.v1, for clients and tests."""
    file = v1_file_descriptor()
    return tuple(message_factory.GetMessageClass(file.message_types_by_name[name])
                 for name in ("ServerReflectionRequest", "ServerReflectionResponse"))


def enable_server_reflection(service_names: tuple[str, ...], server: grpc.Server) -> tuple[str, ...]:
    """Serve reflection as v1alpha and as v1, listing `service_names` and both reflection services.
    Returns every name it lists."""
    v1_file_descriptor()
    names = tuple(service_names) + (V1_SERVICE_NAME, V1ALPHA_SERVICE_NAME)
    servicer = reflection.ReflectionServicer(names)
    reflection_pb2_grpc.add_ServerReflectionServicer_to_server(servicer, server)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(V1_SERVICE_NAME, {
        METHOD: grpc.stream_stream_rpc_method_handler(
            servicer.ServerReflectionInfo,
            request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
            response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
        ),
    }),))
    return names
