-- The legacy schema (v1) of the dating site's monolith, as pancake expects it
-- by default. Run it on a SQL Server (2016 or later) to create empty tables:
--
--     sqlcmd -S tcp:HOST,1433 -U USER -P PASSWORD -d DATABASE -i datasets/sql/legacy-schema.sql
--
-- Columns the domain requires are NOT NULL here, but real legacy data has
-- NULLs, orphans, 1900-01-01 dates and lone surrogates all the same (older
-- schema versions, bulk imports, triggers turned off); pancake's dump keeps
-- every non-key column nullable for that reason. Identity keys grow with time.
--
-- Idempotent: creates only what is missing.

SET ANSI_NULLS ON;
SET QUOTED_IDENTIFIER ON;
GO

IF OBJECT_ID(N'dbo.Members', N'U') IS NULL
CREATE TABLE dbo.Members (
    MemberId     int            NOT NULL CONSTRAINT PK_Members PRIMARY KEY CLUSTERED,
    Nickname     nvarchar(50)   NOT NULL,
    Email        nvarchar(254)  NOT NULL,
    -- 1 = woman, 2 = man, 3 = other
    Gender       tinyint        NOT NULL,
    BirthDate    date           NOT NULL,
    City         nvarchar(100)  NULL,
    RegisteredAt datetime       NOT NULL,
    ApprovedAt   datetime       NULL,
    PortraitUrl  nvarchar(400)  NULL,
    DeletedAt    datetime       NULL,
    ProfileText  nvarchar(2000) NULL,
    HeightCm     smallint       NULL,
    LastLoginAt  datetime       NULL
);
GO

IF OBJECT_ID(N'dbo.Flirts', N'U') IS NULL
CREATE TABLE dbo.Flirts (
    FlirtId     bigint   NOT NULL CONSTRAINT PK_Flirts PRIMARY KEY CLUSTERED,
    SenderId    int      NOT NULL,
    RecipientId int      NOT NULL,
    SentAt      datetime NOT NULL,
    -- 1 = wink, 2 = smile, 3 = kiss, 4 = rose
    Kind        tinyint  NOT NULL,
    Note        nvarchar(200) NULL,
    SenderIp    varchar(45)   NULL,
    SeenAt      datetime NULL
);
GO

IF OBJECT_ID(N'dbo.Messages', N'U') IS NULL
CREATE TABLE dbo.Messages (
    MessageId   bigint         NOT NULL CONSTRAINT PK_Messages PRIMARY KEY CLUSTERED,
    SenderId    int            NOT NULL,
    RecipientId int            NOT NULL,
    Body        nvarchar(2000) NOT NULL,
    SentAt      datetime       NOT NULL,
    ReadAt      datetime       NULL,
    Subject     nvarchar(200)  NULL,
    SenderIp    varchar(45)    NULL,
    DeletedBySender    bit     NOT NULL,
    DeletedByRecipient bit     NOT NULL
);
GO

IF OBJECT_ID(N'dbo.Blocks', N'U') IS NULL
CREATE TABLE dbo.Blocks (
    BlockId   int      NOT NULL CONSTRAINT PK_Blocks PRIMARY KEY CLUSTERED,
    BlockerId int      NOT NULL,
    BlockedId int      NOT NULL,
    CreatedAt datetime NOT NULL,
    RemovedAt datetime NULL
);
GO

IF OBJECT_ID(N'dbo.Favorites', N'U') IS NULL
CREATE TABLE dbo.Favorites (
    FavoriteId       int      NOT NULL CONSTRAINT PK_Favorites PRIMARY KEY CLUSTERED,
    MemberId         int      NOT NULL,
    FavoriteMemberId int      NOT NULL,
    CreatedAt        datetime NOT NULL,
    RemovedAt        datetime NULL
);
GO

IF OBJECT_ID(N'dbo.ProfileVisits', N'U') IS NULL
CREATE TABLE dbo.ProfileVisits (
    VisitId   bigint   NOT NULL CONSTRAINT PK_ProfileVisits PRIMARY KEY CLUSTERED,
    VisitorId int      NOT NULL,
    VisitedId int      NOT NULL,
    VisitedAt datetime NOT NULL
);
GO

IF OBJECT_ID(N'dbo.Photos', N'U') IS NULL
CREATE TABLE dbo.Photos (
    PhotoId    int           NOT NULL CONSTRAINT PK_Photos PRIMARY KEY CLUSTERED,
    MemberId   int           NOT NULL,
    Url        nvarchar(400) NOT NULL,
    UploadedAt datetime      NOT NULL
);
GO

IF OBJECT_ID(N'dbo.PhotoLikes', N'U') IS NULL
CREATE TABLE dbo.PhotoLikes (
    LikeId  bigint   NOT NULL CONSTRAINT PK_PhotoLikes PRIMARY KEY CLUSTERED,
    PhotoId int      NOT NULL,
    MemberId int     NOT NULL,
    LikedAt datetime NOT NULL
);
GO

-- Whom a member is interested in: the current search profile only, one row
-- per member, no time column. NULL in SeekingGender or City means "any".
IF OBJECT_ID(N'dbo.SearchProfiles', N'U') IS NULL
CREATE TABLE dbo.SearchProfiles (
    MemberId      int           NOT NULL CONSTRAINT PK_SearchProfiles PRIMARY KEY CLUSTERED,
    -- 1 = woman, 2 = man, 3 = other; NULL = any
    SeekingGender tinyint       NULL,
    -- whole years, inclusive
    AgeMin        tinyint       NOT NULL,
    AgeMax        tinyint       NOT NULL,
    City          nvarchar(100) NULL
);
GO
