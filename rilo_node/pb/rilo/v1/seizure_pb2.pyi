from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Section(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SECTION_UNSPECIFIED: _ClassVar[Section]
    SECTION_AML_CTF: _ClassVar[Section]
    SECTION_DRUGS: _ClassVar[Section]
    SECTION_ENVIRONMENT: _ClassVar[Section]
    SECTION_IPR_HEALTH_SAFETY: _ClassVar[Section]
    SECTION_REVENUE: _ClassVar[Section]
    SECTION_SECURITY: _ClassVar[Section]
    SECTION_CULTURAL_HERITAGE: _ClassVar[Section]
    SECTION_OTHER: _ClassVar[Section]

class Category(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CATEGORY_UNSPECIFIED: _ClassVar[Category]
    CATEGORY_CASH_SMUGGLING: _ClassVar[Category]
    CATEGORY_GOLD: _ClassVar[Category]
    CATEGORY_GEMSTONES: _ClassVar[Category]
    CATEGORY_CANNABIS: _ClassVar[Category]
    CATEGORY_COCAINE: _ClassVar[Category]
    CATEGORY_PSYCHOTROPIC_SUBSTANCES: _ClassVar[Category]
    CATEGORY_NEW_PSYCHOACTIVE_SUBSTANCES: _ClassVar[Category]
    CATEGORY_OPIOIDS_AND_OPIATES: _ClassVar[Category]
    CATEGORY_KHAT: _ClassVar[Category]
    CATEGORY_PRECURSORS: _ClassVar[Category]
    CATEGORY_FAUNA: _ClassVar[Category]
    CATEGORY_FLORA: _ClassVar[Category]
    CATEGORY_WASTE: _ClassVar[Category]
    CATEGORY_ODS_AND_HFCS: _ClassVar[Category]
    CATEGORY_OTHER_HAZARDOUS_MATERIALS: _ClassVar[Category]
    CATEGORY_IPR_PRODUCTS: _ClassVar[Category]
    CATEGORY_MEDICAL_PRODUCTS: _ClassVar[Category]
    CATEGORY_TOBACCO_PRODUCTS: _ClassVar[Category]
    CATEGORY_ALCOHOL_PRODUCTS: _ClassVar[Category]
    CATEGORY_OTHER_REVENUE: _ClassVar[Category]
    CATEGORY_WEAPONS_AMMUNITION: _ClassVar[Category]
    CATEGORY_EXPLOSIVES_AND_PRECURSORS: _ClassVar[Category]
    CATEGORY_UNMANNED_AERIAL_SYSTEMS: _ClassVar[Category]
    CATEGORY_CULTURAL_OBJECTS: _ClassVar[Category]
    CATEGORY_OTHER: _ClassVar[Category]

class LocationType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LOCATION_TYPE_UNSPECIFIED: _ClassVar[LocationType]
    LOCATION_TYPE_AIRPORT: _ClassVar[LocationType]
    LOCATION_TYPE_MAIL_CENTRE: _ClassVar[LocationType]
    LOCATION_TYPE_EXPRESS_COURIER: _ClassVar[LocationType]
    LOCATION_TYPE_SEAPORT: _ClassVar[LocationType]
    LOCATION_TYPE_LAND_BOUNDARY: _ClassVar[LocationType]
    LOCATION_TYPE_INLAND: _ClassVar[LocationType]
    LOCATION_TYPE_RAIL: _ClassVar[LocationType]
    LOCATION_TYPE_RIVER: _ClassVar[LocationType]
    LOCATION_TYPE_HIGH_SEAS: _ClassVar[LocationType]
    LOCATION_TYPE_FTZ_BORDER: _ClassVar[LocationType]
    LOCATION_TYPE_UNKNOWN: _ClassVar[LocationType]

class Direction(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DIRECTION_UNSPECIFIED: _ClassVar[Direction]
    DIRECTION_IMPORT: _ClassVar[Direction]
    DIRECTION_EXPORT: _ClassVar[Direction]
    DIRECTION_TRANSIT: _ClassVar[Direction]
    DIRECTION_INTERNAL: _ClassVar[Direction]

class Detection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DETECTION_UNSPECIFIED: _ClassVar[Detection]
    DETECTION_RISK_PROFILING: _ClassVar[Detection]
    DETECTION_ROUTINE_CONTROL: _ClassVar[Detection]
    DETECTION_INTELLIGENCE: _ClassVar[Detection]
    DETECTION_INVESTIGATION: _ClassVar[Detection]
    DETECTION_RANDOM_SELECTION: _ClassVar[Detection]
    DETECTION_UNKNOWN: _ClassVar[Detection]

class Conveyance(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONVEYANCE_UNSPECIFIED: _ClassVar[Conveyance]
    CONVEYANCE_AIR: _ClassVar[Conveyance]
    CONVEYANCE_VESSEL: _ClassVar[Conveyance]
    CONVEYANCE_VEHICLE: _ClassVar[Conveyance]
    CONVEYANCE_RAIL: _ClassVar[Conveyance]
    CONVEYANCE_PEDESTRIAN: _ClassVar[Conveyance]
    CONVEYANCE_MAIL: _ClassVar[Conveyance]
    CONVEYANCE_EXPRESS_COURIER: _ClassVar[Conveyance]
    CONVEYANCE_UNKNOWN: _ClassVar[Conveyance]

class Concealment(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CONCEALMENT_UNSPECIFIED: _ClassVar[Concealment]
    CONCEALMENT_IN_MAIL: _ClassVar[Concealment]
    CONCEALMENT_IN_BAGGAGE: _ClassVar[Concealment]
    CONCEALMENT_IN_TRANSPORT: _ClassVar[Concealment]
    CONCEALMENT_IN_EXPRESS_COURIER: _ClassVar[Concealment]
    CONCEALMENT_IN_FREIGHT: _ClassVar[Concealment]
    CONCEALMENT_ON_PERSON: _ClassVar[Concealment]
    CONCEALMENT_NOT_CONCEALED: _ClassVar[Concealment]
    CONCEALMENT_IN_PREMISES: _ClassVar[Concealment]
    CONCEALMENT_ON_MARKET: _ClassVar[Concealment]
    CONCEALMENT_RECOVERED_FROM_SEA: _ClassVar[Concealment]
    CONCEALMENT_UNKNOWN: _ClassVar[Concealment]

class Unit(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNIT_UNSPECIFIED: _ClassVar[Unit]
    UNIT_KG: _ClassVar[Unit]
    UNIT_G: _ClassVar[Unit]
    UNIT_L: _ClassVar[Unit]
    UNIT_ML: _ClassVar[Unit]
    UNIT_PIECES: _ClassVar[Unit]
    UNIT_CURRENCY: _ClassVar[Unit]

class SourceReliability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SOURCE_RELIABILITY_UNSPECIFIED: _ClassVar[SourceReliability]
    SOURCE_RELIABILITY_A: _ClassVar[SourceReliability]
    SOURCE_RELIABILITY_B: _ClassVar[SourceReliability]
    SOURCE_RELIABILITY_C: _ClassVar[SourceReliability]
    SOURCE_RELIABILITY_X: _ClassVar[SourceReliability]

class InformationAccuracy(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INFORMATION_ACCURACY_UNSPECIFIED: _ClassVar[InformationAccuracy]
    INFORMATION_ACCURACY_1: _ClassVar[InformationAccuracy]
    INFORMATION_ACCURACY_2: _ClassVar[InformationAccuracy]
    INFORMATION_ACCURACY_3: _ClassVar[InformationAccuracy]
    INFORMATION_ACCURACY_4: _ClassVar[InformationAccuracy]

class Gender(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GENDER_UNSPECIFIED: _ClassVar[Gender]
    GENDER_M: _ClassVar[Gender]
    GENDER_F: _ClassVar[Gender]
    GENDER_X: _ClassVar[Gender]
    GENDER_U: _ClassVar[Gender]

class IdentifierType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IDENTIFIER_TYPE_UNSPECIFIED: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_CONTAINER: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_IMO: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_PHONE: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_PASSPORT: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_ID_CARD: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_PLATE: _ClassVar[IdentifierType]
    IDENTIFIER_TYPE_COMPANY: _ClassVar[IdentifierType]
SECTION_UNSPECIFIED: Section
SECTION_AML_CTF: Section
SECTION_DRUGS: Section
SECTION_ENVIRONMENT: Section
SECTION_IPR_HEALTH_SAFETY: Section
SECTION_REVENUE: Section
SECTION_SECURITY: Section
SECTION_CULTURAL_HERITAGE: Section
SECTION_OTHER: Section
CATEGORY_UNSPECIFIED: Category
CATEGORY_CASH_SMUGGLING: Category
CATEGORY_GOLD: Category
CATEGORY_GEMSTONES: Category
CATEGORY_CANNABIS: Category
CATEGORY_COCAINE: Category
CATEGORY_PSYCHOTROPIC_SUBSTANCES: Category
CATEGORY_NEW_PSYCHOACTIVE_SUBSTANCES: Category
CATEGORY_OPIOIDS_AND_OPIATES: Category
CATEGORY_KHAT: Category
CATEGORY_PRECURSORS: Category
CATEGORY_FAUNA: Category
CATEGORY_FLORA: Category
CATEGORY_WASTE: Category
CATEGORY_ODS_AND_HFCS: Category
CATEGORY_OTHER_HAZARDOUS_MATERIALS: Category
CATEGORY_IPR_PRODUCTS: Category
CATEGORY_MEDICAL_PRODUCTS: Category
CATEGORY_TOBACCO_PRODUCTS: Category
CATEGORY_ALCOHOL_PRODUCTS: Category
CATEGORY_OTHER_REVENUE: Category
CATEGORY_WEAPONS_AMMUNITION: Category
CATEGORY_EXPLOSIVES_AND_PRECURSORS: Category
CATEGORY_UNMANNED_AERIAL_SYSTEMS: Category
CATEGORY_CULTURAL_OBJECTS: Category
CATEGORY_OTHER: Category
LOCATION_TYPE_UNSPECIFIED: LocationType
LOCATION_TYPE_AIRPORT: LocationType
LOCATION_TYPE_MAIL_CENTRE: LocationType
LOCATION_TYPE_EXPRESS_COURIER: LocationType
LOCATION_TYPE_SEAPORT: LocationType
LOCATION_TYPE_LAND_BOUNDARY: LocationType
LOCATION_TYPE_INLAND: LocationType
LOCATION_TYPE_RAIL: LocationType
LOCATION_TYPE_RIVER: LocationType
LOCATION_TYPE_HIGH_SEAS: LocationType
LOCATION_TYPE_FTZ_BORDER: LocationType
LOCATION_TYPE_UNKNOWN: LocationType
DIRECTION_UNSPECIFIED: Direction
DIRECTION_IMPORT: Direction
DIRECTION_EXPORT: Direction
DIRECTION_TRANSIT: Direction
DIRECTION_INTERNAL: Direction
DETECTION_UNSPECIFIED: Detection
DETECTION_RISK_PROFILING: Detection
DETECTION_ROUTINE_CONTROL: Detection
DETECTION_INTELLIGENCE: Detection
DETECTION_INVESTIGATION: Detection
DETECTION_RANDOM_SELECTION: Detection
DETECTION_UNKNOWN: Detection
CONVEYANCE_UNSPECIFIED: Conveyance
CONVEYANCE_AIR: Conveyance
CONVEYANCE_VESSEL: Conveyance
CONVEYANCE_VEHICLE: Conveyance
CONVEYANCE_RAIL: Conveyance
CONVEYANCE_PEDESTRIAN: Conveyance
CONVEYANCE_MAIL: Conveyance
CONVEYANCE_EXPRESS_COURIER: Conveyance
CONVEYANCE_UNKNOWN: Conveyance
CONCEALMENT_UNSPECIFIED: Concealment
CONCEALMENT_IN_MAIL: Concealment
CONCEALMENT_IN_BAGGAGE: Concealment
CONCEALMENT_IN_TRANSPORT: Concealment
CONCEALMENT_IN_EXPRESS_COURIER: Concealment
CONCEALMENT_IN_FREIGHT: Concealment
CONCEALMENT_ON_PERSON: Concealment
CONCEALMENT_NOT_CONCEALED: Concealment
CONCEALMENT_IN_PREMISES: Concealment
CONCEALMENT_ON_MARKET: Concealment
CONCEALMENT_RECOVERED_FROM_SEA: Concealment
CONCEALMENT_UNKNOWN: Concealment
UNIT_UNSPECIFIED: Unit
UNIT_KG: Unit
UNIT_G: Unit
UNIT_L: Unit
UNIT_ML: Unit
UNIT_PIECES: Unit
UNIT_CURRENCY: Unit
SOURCE_RELIABILITY_UNSPECIFIED: SourceReliability
SOURCE_RELIABILITY_A: SourceReliability
SOURCE_RELIABILITY_B: SourceReliability
SOURCE_RELIABILITY_C: SourceReliability
SOURCE_RELIABILITY_X: SourceReliability
INFORMATION_ACCURACY_UNSPECIFIED: InformationAccuracy
INFORMATION_ACCURACY_1: InformationAccuracy
INFORMATION_ACCURACY_2: InformationAccuracy
INFORMATION_ACCURACY_3: InformationAccuracy
INFORMATION_ACCURACY_4: InformationAccuracy
GENDER_UNSPECIFIED: Gender
GENDER_M: Gender
GENDER_F: Gender
GENDER_X: Gender
GENDER_U: Gender
IDENTIFIER_TYPE_UNSPECIFIED: IdentifierType
IDENTIFIER_TYPE_CONTAINER: IdentifierType
IDENTIFIER_TYPE_IMO: IdentifierType
IDENTIFIER_TYPE_PHONE: IdentifierType
IDENTIFIER_TYPE_PASSPORT: IdentifierType
IDENTIFIER_TYPE_ID_CARD: IdentifierType
IDENTIFIER_TYPE_PLATE: IdentifierType
IDENTIFIER_TYPE_COMPANY: IdentifierType

class SeizureItem(_message.Message):
    __slots__ = ("section", "category", "commodity", "hs_code", "quantity", "unit", "currency", "value_usd")
    SECTION_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    COMMODITY_FIELD_NUMBER: _ClassVar[int]
    HS_CODE_FIELD_NUMBER: _ClassVar[int]
    QUANTITY_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    VALUE_USD_FIELD_NUMBER: _ClassVar[int]
    section: Section
    category: Category
    commodity: str
    hs_code: str
    quantity: float
    unit: Unit
    currency: str
    value_usd: float
    def __init__(self, section: _Optional[_Union[Section, str]] = ..., category: _Optional[_Union[Category, str]] = ..., commodity: _Optional[str] = ..., hs_code: _Optional[str] = ..., quantity: _Optional[float] = ..., unit: _Optional[_Union[Unit, str]] = ..., currency: _Optional[str] = ..., value_usd: _Optional[float] = ...) -> None: ...

class Evaluation(_message.Message):
    __slots__ = ("source", "information")
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    INFORMATION_FIELD_NUMBER: _ClassVar[int]
    source: SourceReliability
    information: InformationAccuracy
    def __init__(self, source: _Optional[_Union[SourceReliability, str]] = ..., information: _Optional[_Union[InformationAccuracy, str]] = ...) -> None: ...

class SeizureCase(_message.Message):
    __slots__ = ("case_ref", "seizure_date", "country", "customs_office", "location_type", "direction", "detection", "conveyance", "concealment", "departure_country", "transit_countries", "destination_country", "ecommerce", "items", "description", "evaluation")
    CASE_REF_FIELD_NUMBER: _ClassVar[int]
    SEIZURE_DATE_FIELD_NUMBER: _ClassVar[int]
    COUNTRY_FIELD_NUMBER: _ClassVar[int]
    CUSTOMS_OFFICE_FIELD_NUMBER: _ClassVar[int]
    LOCATION_TYPE_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DETECTION_FIELD_NUMBER: _ClassVar[int]
    CONVEYANCE_FIELD_NUMBER: _ClassVar[int]
    CONCEALMENT_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    TRANSIT_COUNTRIES_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_COUNTRY_FIELD_NUMBER: _ClassVar[int]
    ECOMMERCE_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    EVALUATION_FIELD_NUMBER: _ClassVar[int]
    case_ref: str
    seizure_date: str
    country: str
    customs_office: str
    location_type: LocationType
    direction: Direction
    detection: Detection
    conveyance: Conveyance
    concealment: Concealment
    departure_country: str
    transit_countries: _containers.RepeatedScalarFieldContainer[str]
    destination_country: str
    ecommerce: bool
    items: _containers.RepeatedCompositeFieldContainer[SeizureItem]
    description: str
    evaluation: Evaluation
    def __init__(self, case_ref: _Optional[str] = ..., seizure_date: _Optional[str] = ..., country: _Optional[str] = ..., customs_office: _Optional[str] = ..., location_type: _Optional[_Union[LocationType, str]] = ..., direction: _Optional[_Union[Direction, str]] = ..., detection: _Optional[_Union[Detection, str]] = ..., conveyance: _Optional[_Union[Conveyance, str]] = ..., concealment: _Optional[_Union[Concealment, str]] = ..., departure_country: _Optional[str] = ..., transit_countries: _Optional[_Iterable[str]] = ..., destination_country: _Optional[str] = ..., ecommerce: _Optional[bool] = ..., items: _Optional[_Iterable[_Union[SeizureItem, _Mapping]]] = ..., description: _Optional[str] = ..., evaluation: _Optional[_Union[Evaluation, _Mapping]] = ...) -> None: ...

class Offender(_message.Message):
    __slots__ = ("nationality", "gender", "birth_year", "role")
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    BIRTH_YEAR_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    nationality: str
    gender: Gender
    birth_year: int
    role: str
    def __init__(self, nationality: _Optional[str] = ..., gender: _Optional[_Union[Gender, str]] = ..., birth_year: _Optional[int] = ..., role: _Optional[str] = ...) -> None: ...

class Identifier(_message.Message):
    __slots__ = ("type", "value")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    type: IdentifierType
    value: str
    def __init__(self, type: _Optional[_Union[IdentifierType, str]] = ..., value: _Optional[str] = ...) -> None: ...

class SeizureAnnex(_message.Message):
    __slots__ = ("offenders", "notes", "identifiers")
    OFFENDERS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    offenders: _containers.RepeatedCompositeFieldContainer[Offender]
    notes: str
    identifiers: _containers.RepeatedCompositeFieldContainer[Identifier]
    def __init__(self, offenders: _Optional[_Iterable[_Union[Offender, _Mapping]]] = ..., notes: _Optional[str] = ..., identifiers: _Optional[_Iterable[_Union[Identifier, _Mapping]]] = ...) -> None: ...
